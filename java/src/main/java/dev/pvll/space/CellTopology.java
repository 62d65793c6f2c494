package dev.pvll.space;

import java.util.ArrayList;
import java.util.List;

/**
 * The DARTS cell graph: two cell inputs (states 0 and 1, that is h(c-2) and h(c-1)) and {@code
 * nodes} intermediate nodes (states 2 .. nodes+1). Every intermediate node j receives one edge
 * from every earlier state i < j, so a cell of 4 nodes has 2+3+4+5 = 14 edges.
 *
 * <p>Edges are numbered in DARTS order, which is the row order of A: all edges into node 2 (from
 * inputs 0, 1), then all edges into node 3 (from 0, 1, 2), and so on. Here "node" always means the
 * state index (2 .. nodes+1) and "input" the state index of the edge's source.
 */
public final class CellTopology {
  /** Number of cell inputs: h(c-2) and h(c-1). */
  public static final int CELL_INPUTS = 2;
  /** The default number of intermediate nodes. */
  public static final int DEFAULT_NODES = 4;

  private static final CellTopology DEFAULT = new CellTopology(DEFAULT_NODES);

  private final int nodes;
  private final int[] edgeNode;
  private final int[] edgeInput;

  private CellTopology(int nodes) {
    if (nodes < 1) throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
    this.nodes = nodes;
    int edges = edgeCount(nodes);
    edgeNode = new int[edges];
    edgeInput = new int[edges];
    int e = 0;
    for (int node = CELL_INPUTS; node < CELL_INPUTS + nodes; node++) {
      for (int input = 0; input < node; input++) {
        edgeNode[e] = node;
        edgeInput[e] = input;
        e++;
      }
    }
  }

  /** The cell with this many intermediate nodes (at least 1). */
  public static CellTopology of(int nodes) {
    return nodes == DEFAULT_NODES ? DEFAULT : new CellTopology(nodes);
  }

  /** Number of edges of a cell with this many intermediate nodes: nodes * (nodes + 3) / 2. */
  public static int edgeCount(int nodes) {
    return nodes * (nodes + 3) / 2;
  }

  /** Number of intermediate nodes. */
  public int nodes() {
    return nodes;
  }

  /** Number of edges (rows of A). */
  public int edges() {
    return edgeNode.length;
  }

  /** Number of states: the two cell inputs plus the intermediate nodes. */
  public int states() {
    return CELL_INPUTS + nodes;
  }

  /** The state index (2 ..) of the node edge {@code edge} leads into. */
  public int nodeOf(int edge) {
    checkEdge(edge);
    return edgeNode[edge];
  }

  /** The state index (0 .. node-1) edge {@code edge} comes from. */
  public int inputOf(int edge) {
    checkEdge(edge);
    return edgeInput[edge];
  }

  /** Index of the first edge into {@code node} (a state index, 2 ..). */
  public int firstEdgeOf(int node) {
    checkNode(node);
    int j = node - CELL_INPUTS;
    // Nodes before this one contribute 2 + 3 + ... + (j + 1) edges.
    return j * (j + 3) / 2;
  }

  /** Number of edges into {@code node}: one from every earlier state. */
  public int inDegree(int node) {
    checkNode(node);
    return node;
  }

  /** The edge from state {@code input} into state {@code node}. */
  public int edgeIndex(int node, int input) {
    checkNode(node);
    if (input < 0 || input >= node) {
      throw new IllegalArgumentException(
          "input " + input + " out of range 0.." + (node - 1) + " for node " + node);
    }
    return firstEdgeOf(node) + input;
  }

  /** True when stride-2 ops sit on this edge in a reduction cell (its source is a cell input). */
  public boolean fromCellInput(int edge) {
    return inputOf(edge) < CELL_INPUTS;
  }

  /** The state indices of the intermediate nodes: 2 .. nodes+1, the DARTS concat. */
  public List<Integer> intermediateNodes() {
    List<Integer> out = new ArrayList<>(nodes);
    for (int s = CELL_INPUTS; s < CELL_INPUTS + nodes; s++) out.add(s);
    return List.copyOf(out);
  }

  private void checkEdge(int edge) {
    if (edge < 0 || edge >= edgeNode.length) {
      throw new IllegalArgumentException(
          "edge " + edge + " out of range 0.." + (edgeNode.length - 1));
    }
  }

  private void checkNode(int node) {
    if (node < CELL_INPUTS || node >= CELL_INPUTS + nodes) {
      throw new IllegalArgumentException(
          "node " + node + " out of range " + CELL_INPUTS + ".." + (CELL_INPUTS + nodes - 1)
              + " (intermediate nodes are numbered after the 2 cell inputs)");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CellTopology t && t.nodes == nodes;
  }

  @Override
  public int hashCode() {
    return nodes;
  }

  @Override
  public String toString() {
    return "CellTopology[nodes=" + nodes + ", edges=" + edges() + "]";
  }
}
