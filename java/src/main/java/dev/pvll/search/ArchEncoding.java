package dev.pvll.search;

import dev.pvll.space.Genotype;
import dev.pvll.space.GenotypeDerivation;

/**
 * The shape of an architecture encoding: for each of the two cell types (normal, then
 * reduction) one row per edge, one column per candidate op.
 *
 * <p>A cell with {@code nodes} intermediate nodes has {@code nodes * (nodes + 3) / 2} edges
 * (node j has one edge from each of the two cell inputs and each earlier node), listed in DARTS
 * order: node 0's edges from inputs 0, 1; node 1's from 0, 1, 2; and so on. The encoding is a
 * row-major {@code [rows, ops]} matrix, rows = 2 * edges: rows {@code 0..edges-1} are the normal
 * cell, rows {@code edges..2*edges-1} the reduction cell. Columns follow the search space's
 * primitive order (DARTS: none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3,
 * sep_conv_5x5, dil_conv_3x3, dil_conv_5x5).
 *
 * @param nodes intermediate nodes per cell (DARTS: 4)
 * @param ops candidate ops per edge (DARTS: 8)
 */
public record ArchEncoding(int nodes, int ops) {
  /** The DARTS space: 4 nodes (14 edges per cell, 28 rows), 8 ops. */
  public static final ArchEncoding DARTS = new ArchEncoding(4, 8);

  public ArchEncoding {
    if (nodes < 1) throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
    if (ops < 1) throw new IllegalArgumentException("ops must be >= 1, got " + ops);
  }

  /** Edges per cell: nodes * (nodes + 3) / 2 (14 for 4 nodes). */
  public int edgesPerCell() {
    return nodes * (nodes + 3) / 2;
  }

  /** Rows of the encoding: both cell types (28 for DARTS). */
  public int rows() {
    return 2 * edgesPerCell();
  }

  /** Elements of the encoding: rows * ops (224 for DARTS). */
  public int size() {
    return rows() * ops;
  }

  /** Flat index of (row, op). */
  public int index(int row, int op) {
    return row * ops + op;
  }

  /**
   * METHOD.md's final genotype: the DARTS rule ({@link GenotypeDerivation}) on an encoding's values
   * (A, or a sample's H): for every node the 2 incoming edges with the largest non-none weight,
   * on each its strongest op other than none.
   */
  public Genotype genotype(double[] values) {
    checkSize("values", values);
    float[][][] cells = new float[2][edgesPerCell()][ops];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < edgesPerCell(); e++) {
        for (int o = 0; o < ops; o++) cells[t][e][o] = (float) values[index(t * edgesPerCell() + e, o)];
      }
    }
    return GenotypeDerivation.derive(cells[0], cells[1], nodes);
  }

  /** Checks that {@code v} has {@link #size()} elements; {@code what} names it in the error. */
  void checkSize(String what, double[] v) {
    if (v == null) throw new IllegalArgumentException(what + " is null");
    if (v.length != size()) {
      throw new IllegalArgumentException(what + " has " + v.length + " values, the encoding " + this + " needs " + size());
    }
  }
}
