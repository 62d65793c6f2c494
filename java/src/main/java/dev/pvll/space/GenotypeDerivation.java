package dev.pvll.space;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The DARTS rule that turns architecture weights into a genotype ({@code Network.genotype()} in
 * quark0/darts model_search.py), as a pure function of the two matrices.
 *
 * <p>For each cell: weigh every edge (row of A, DARTS edge order) by a softmax over its ops, or by
 * the raw row; give each edge the strength of its largest non-none weight; for every intermediate
 * node keep the 2 strongest incoming edges, strongest first; on each kept edge choose the non-none
 * op of largest weight. Ties go to the lower index (the lower input state among edges, the
 * earlier op among ops), as Python's stable sort and DARTS' strict comparison do. Both cells
 * concatenate all intermediate nodes.
 *
 * <p>The softmax changes which edges win: it divides each row by its own normaliser, so an edge
 * whose weights are spread out can lose to one with a smaller raw maximum. {@link Weighting#SOFTMAX}
 * is DARTS exactly; {@link Weighting#RAW} ranks raw A. The op chosen on an edge is the same either
 * way. The softmax is computed in double precision.
 */
public final class GenotypeDerivation {
  private GenotypeDerivation() {}

  /** How rows of A are weighed before edges are ranked. */
  public enum Weighting {
    /** softmax over each row first, as DARTS does. */
    SOFTMAX,
    /** the raw values of A. */
    RAW
  }

  /** The DARTS genotype of (normalA, reduceA), with softmax per edge as DARTS does. */
  public static Genotype derive(float[][] normalA, float[][] reduceA, int nodes) {
    return derive(normalA, reduceA, nodes, Weighting.SOFTMAX);
  }

  /**
   * The DARTS genotype of the two matrices, each {@code edgeCount(nodes)} x {@link
   * Primitive#COUNT} (rows are edges in DARTS order, columns primitives in enum order).
   *
   * @throws IllegalArgumentException naming the matrix and the bad row, column or value
   */
  public static Genotype derive(float[][] normalA, float[][] reduceA, int nodes, Weighting weighting) {
    List<Gene> normal = deriveCell("normalA", normalA, nodes, weighting);
    List<Gene> reduce = deriveCell("reduceA", reduceA, nodes, weighting);
    return Genotype.of(normal, reduce);
  }

  /**
   * As {@link #derive(float[][], float[][], int, Weighting)} for matrices stored flat in row-major
   * order (edge e, primitive k at {@code e * Primitive.COUNT + k}), as a tensor copies them out.
   */
  public static Genotype derive(float[] normalA, float[] reduceA, int nodes, Weighting weighting) {
    return derive(rows("normalA", normalA, nodes), rows("reduceA", reduceA, nodes), nodes, weighting);
  }

  private static float[][] rows(String name, float[] flat, int nodes) {
    if (nodes < 1) throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
    int edges = CellTopology.edgeCount(nodes);
    if (flat == null || flat.length != edges * Primitive.COUNT) {
      throw new IllegalArgumentException(
          name + " has " + (flat == null ? "no" : flat.length) + " values, expected " + edges + " x "
              + Primitive.COUNT + " = " + edges * Primitive.COUNT);
    }
    float[][] a = new float[edges][];
    for (int e = 0; e < edges; e++) {
      a[e] = Arrays.copyOfRange(flat, e * Primitive.COUNT, (e + 1) * Primitive.COUNT);
    }
    return a;
  }

  /** The genes of one cell from its matrix (2 per node, strongest edge first). */
  public static List<Gene> deriveCell(float[][] a, int nodes, Weighting weighting) {
    return deriveCell("A", a, nodes, weighting);
  }

  private static List<Gene> deriveCell(String name, float[][] a, int nodes, Weighting weighting) {
    check(name, a, nodes);
    CellTopology topology = CellTopology.of(nodes);
    int edges = topology.edges();
    double[][] w = new double[edges][];
    for (int e = 0; e < edges; e++) {
      w[e] = weighting == Weighting.SOFTMAX ? softmax(a[e]) : toDouble(a[e]);
    }
    List<Gene> genes = new ArrayList<>(2 * nodes);
    for (int node = CellTopology.CELL_INPUTS; node < topology.states(); node++) {
      int first = topology.firstEdgeOf(node);
      int best = -1;
      int second = -1;
      // Strict comparisons keep the lower input on ties, like a stable descending sort.
      for (int input = 0; input < node; input++) {
        double s = strength(w[first + input]);
        if (best < 0 || s > strength(w[first + best])) {
          second = best;
          best = input;
        } else if (second < 0 || s > strength(w[first + second])) {
          second = input;
        }
      }
      genes.add(new Gene(bestOp(w[first + best]), best));
      genes.add(new Gene(bestOp(w[first + second]), second));
    }
    return genes;
  }

  /** The largest non-none weight of an edge. */
  static double strength(double[] row) {
    double m = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < row.length; k++) {
      if (k != Primitive.NONE.index() && row[k] > m) m = row[k];
    }
    return m;
  }

  /** The non-none op of largest weight; the earliest on ties. */
  static Primitive bestOp(double[] row) {
    int best = -1;
    for (int k = 0; k < row.length; k++) {
      if (k == Primitive.NONE.index()) continue;
      if (best < 0 || row[k] > row[best]) best = k;
    }
    return Primitive.at(best);
  }

  /** Softmax of one row, max-shifted so large entries do not overflow. */
  static double[] softmax(float[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : row) max = Math.max(max, v);
    double[] out = new double[row.length];
    double sum = 0;
    for (int k = 0; k < row.length; k++) {
      out[k] = Math.exp(row[k] - max);
      sum += out[k];
    }
    for (int k = 0; k < row.length; k++) out[k] /= sum;
    return out;
  }

  private static double[] toDouble(float[] row) {
    double[] out = new double[row.length];
    for (int k = 0; k < row.length; k++) out[k] = row[k];
    return out;
  }

  private static void check(String name, float[][] a, int nodes) {
    if (nodes < 1) throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
    int edges = CellTopology.edgeCount(nodes);
    if (a == null) throw new IllegalArgumentException(name + " is null");
    if (a.length != edges) {
      throw new IllegalArgumentException(
          name + " has " + a.length + " rows; a cell of " + nodes + " nodes has " + edges + " edges");
    }
    for (int e = 0; e < edges; e++) {
      if (a[e] == null || a[e].length != Primitive.COUNT) {
        throw new IllegalArgumentException(
            name + "[" + e + "] has " + (a[e] == null ? "no" : a[e].length) + " columns, expected "
                + Primitive.COUNT + " (one per primitive)");
      }
      for (int k = 0; k < Primitive.COUNT; k++) {
        if (!Float.isFinite(a[e][k])) {
          throw new IllegalArgumentException(
              name + "[" + e + "][" + k + "] (" + Primitive.at(k) + ") is " + a[e][k]);
        }
      }
    }
  }
}
