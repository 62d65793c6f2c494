package dev.pvll.space;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A discrete DARTS architecture: for each cell type, two genes (op, input) per intermediate node,
 * listed node by node (entries 2k and 2k+1 feed node k+2), and the states whose outputs the cell
 * concatenates (DARTS: {@code range(2, 2 + nodes)}).
 *
 * <p>Both cells have the same number of nodes. A gene's input must be an earlier state (0 ..
 * node-1); {@code none} is never part of a genotype (the DARTS rule excludes it). The two genes of
 * a node may share an input (NASNet-style genotypes do). Construction checks all of this and throws
 * a {@link GenotypeFormatException} naming the cell, the entry and the reason.
 *
 * <p>Text forms: {@link #toDartsString()} / {@link #parse(String)} (the Python repr DARTS prints)
 * and {@link #toJson()} / {@link #fromJson(String)}.
 */
public record Genotype(
    List<Gene> normal, List<Integer> normalConcat, List<Gene> reduce, List<Integer> reduceConcat) {

  /** Copies the lists and checks the genotype. */
  public Genotype {
    Objects.requireNonNull(normal, "normal");
    Objects.requireNonNull(reduce, "reduce");
    Objects.requireNonNull(normalConcat, "normalConcat");
    Objects.requireNonNull(reduceConcat, "reduceConcat");
    normal = List.copyOf(normal);
    reduce = List.copyOf(reduce);
    normalConcat = List.copyOf(normalConcat);
    reduceConcat = List.copyOf(reduceConcat);
    Problem p = firstProblem(normal, normalConcat, reduce, reduceConcat);
    if (p != null) throw new GenotypeFormatException(null, -1, p.cell, p.entry, p.reason);
  }

  /** A genotype whose cells concatenate all intermediate nodes, as DARTS derives them. */
  public static Genotype of(List<Gene> normal, List<Gene> reduce) {
    int nodes = normal.size() / 2;
    List<Integer> concat = defaultConcat(nodes);
    return new Genotype(normal, concat, reduce, concat);
  }

  /** The DARTS concat of a cell with this many nodes: 2 .. nodes+1. */
  public static List<Integer> defaultConcat(int nodes) {
    return CellTopology.of(Math.max(nodes, 1)).intermediateNodes();
  }

  /** Parses the DARTS text form; see {@link GenotypeText}. */
  public static Genotype parse(String text) {
    return GenotypeText.parse(text, null);
  }

  /** Parses the JSON form; see {@link GenotypeJson}. */
  public static Genotype fromJson(String json) {
    return GenotypeJson.parse(json, null);
  }

  /** Number of intermediate nodes per cell. */
  public int nodes() {
    return normal.size() / 2;
  }

  /** The genes of one cell type. */
  public List<Gene> genes(CellType cell) {
    return cell == CellType.NORMAL ? normal : reduce;
  }

  /** The concat of one cell type. */
  public List<Integer> concat(CellType cell) {
    return cell == CellType.NORMAL ? normalConcat : reduceConcat;
  }

  /**
   * Checks that this genotype fits cells of {@code nodes} intermediate nodes.
   *
   * @return this
   */
  public Genotype requireNodes(int nodes) {
    if (nodes() != nodes) {
      throw new GenotypeFormatException(
          null, -1, null, -1,
          "the genotype has " + nodes() + " nodes per cell (" + normal.size()
              + " entries), the network expects " + nodes + " (" + 2 * nodes + " entries)");
    }
    return this;
  }

  /**
   * The op on every edge of one cell, in DARTS edge order, {@link Primitive#NONE} where the genotype
   * keeps no edge: the genotype as a one-hot architecture for the weight-sharing supernet.
   *
   * @throws IllegalArgumentException if a node takes the same input twice (two ops on one edge)
   */
  public Primitive[] edgeOps(CellType cell) {
    CellTopology topology = CellTopology.of(nodes());
    Primitive[] ops = new Primitive[topology.edges()];
    Arrays.fill(ops, Primitive.NONE);
    List<Gene> genes = genes(cell);
    for (int i = 0; i < genes.size(); i++) {
      int edge = topology.edgeIndex(CellTopology.CELL_INPUTS + i / 2, genes.get(i).input());
      if (ops[edge] != Primitive.NONE) {
        throw new IllegalArgumentException(
            cell + " entry " + i + ": node " + (CellTopology.CELL_INPUTS + i / 2)
                + " takes input " + genes.get(i).input()
                + " twice; one edge cannot hold two ops");
      }
      ops[edge] = genes.get(i).op();
    }
    return ops;
  }

  /** The DARTS text form, as Python prints the namedtuple. */
  public String toDartsString() {
    return GenotypeText.format(this);
  }

  /** The JSON form (pretty printed). */
  public String toJson() {
    return GenotypeJson.format(this);
  }

  /** The DARTS text form. */
  @Override
  public String toString() {
    return toDartsString();
  }

  /** Where a genotype is malformed: cell (null for the whole genotype), entry (or -1), reason. */
  record Problem(CellType cell, int entry, String reason) {}

  /** The first problem of a genotype's parts, or null when it is well formed. */
  static Problem firstProblem(
      List<Gene> normal, List<Integer> normalConcat, List<Gene> reduce, List<Integer> reduceConcat) {
    if (normal.isEmpty()) return new Problem(CellType.NORMAL, -1, "normal has no entries");
    if (normal.size() % 2 != 0) {
      return new Problem(
          CellType.NORMAL, -1,
          "wrong edge count: normal has " + normal.size()
              + " entries, a cell needs 2 per intermediate node (an even count)");
    }
    if (reduce.size() != normal.size()) {
      return new Problem(
          CellType.REDUCE, -1,
          "wrong edge count: reduce has " + reduce.size() + " entries, normal has "
              + normal.size() + "; both cells need 2 per intermediate node");
    }
    int nodes = normal.size() / 2;
    Problem p = cellProblem(CellType.NORMAL, normal);
    if (p == null) p = cellProblem(CellType.REDUCE, reduce);
    if (p == null) p = concatProblem(CellType.NORMAL, normalConcat, nodes);
    if (p == null) p = concatProblem(CellType.REDUCE, reduceConcat, nodes);
    return p;
  }

  /** The first bad gene of a cell whose entry count is already known to be right. */
  static Problem cellProblem(CellType cell, List<Gene> genes) {
    for (int i = 0; i < genes.size(); i++) {
      String reason = geneProblem(genes.get(i), i);
      if (reason != null) return new Problem(cell, i, reason);
    }
    return null;
  }

  /** Why gene {@code entry} of a cell is bad, or null. */
  static String geneProblem(Gene gene, int entry) {
    int node = CellTopology.CELL_INPUTS + entry / 2;
    if (gene == null) return "missing gene";
    if (gene.op() == Primitive.NONE) {
      return "op 'none' cannot be part of a genotype (the DARTS rule never keeps it)";
    }
    if (gene.input() < 0 || gene.input() >= node) {
      return "input " + gene.input() + " out of range for node " + node
          + " (intermediate node " + (node - CellTopology.CELL_INPUTS) + "): valid inputs are 0.."
          + (node - 1);
    }
    return null;
  }

  static Problem concatProblem(CellType cell, List<Integer> concat, int nodes) {
    if (concat.isEmpty()) return new Problem(cell, -1, cell.concatField() + " is empty");
    Set<Integer> seen = new HashSet<>();
    int last = CellTopology.CELL_INPUTS + nodes - 1;
    for (int i = 0; i < concat.size(); i++) {
      Integer s = concat.get(i);
      if (s == null || s < CellTopology.CELL_INPUTS || s > last) {
        return new Problem(
            cell, -1,
            cell.concatField() + " entry " + i + ": " + s
                + " is not an intermediate node (" + CellTopology.CELL_INPUTS + ".." + last + ")");
      }
      if (!seen.add(s)) {
        return new Problem(
            cell, -1, cell.concatField() + " entry " + i + ": node " + s + " listed twice");
      }
    }
    return null;
  }

  /** Genes from alternating (op name, input) arguments: {@code pairs("sep_conv_3x3", 0, "skip_connect", 1)}. */
  public static List<Gene> pairs(Object... opInputPairs) {
    List<Gene> out = new ArrayList<>();
    for (int i = 0; i < opInputPairs.length; i += 2) {
      out.add(Gene.of((String) opInputPairs[i], (Integer) opInputPairs[i + 1]));
    }
    return out;
  }
}
