package dev.pvll.supernet;

import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.NetworkConfig;
import java.util.List;

/** One op and one weight per edge for the normal and the reduction cells. */
public record SampledArchitecture(CellChoice normal, CellChoice reduce) {
  public SampledArchitecture {
    if (normal.edges() != reduce.edges()) {
      throw new IllegalArgumentException("normal and reduce cells differ in edge count");
    }
  }

  /** The choice for a cell of the given type. */
  public CellChoice forCell(boolean reduction) {
    return reduction ? reduce : normal;
  }

  /**
   * A genotype on the supernet of net: its genes with weight 1, every other edge {@code none}
   * (weight 0). Two genes on one edge: the first wins.
   */
  public static SampledArchitecture of(Genotype g, NetworkConfig net) {
    int edges = net.edges();
    CellChoice[] cells = new CellChoice[2];
    for (int t = 0; t < 2; t++) {
      List<Gene> genes = t == 0 ? g.normal() : g.reduce();
      int[] ops = new int[edges];
      float[] w = new float[edges];
      for (int k = 0; k < genes.size(); k++) {
        int e = net.topology().firstEdgeOf(k / 2 + 2) + genes.get(k).input();
        if (w[e] != 0) continue;
        ops[e] = genes.get(k).op().ordinal();
        w[e] = 1f;
      }
      cells[t] = new CellChoice(ops, w);
    }
    return new SampledArchitecture(cells[0], cells[1]);
  }
}
