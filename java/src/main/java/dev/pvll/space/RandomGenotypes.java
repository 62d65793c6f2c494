package dev.pvll.space;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Uniformly random architectures from a caller's {@link Random}, for the random-search baseline
 * and retraining comparisons. Same seed, same architectures.
 */
public final class RandomGenotypes {
  /** The ops a genotype may hold: every primitive but none. */
  private static final Primitive[] OPS = {
    Primitive.MAX_POOL_3X3, Primitive.AVG_POOL_3X3, Primitive.SKIP_CONNECT,
    Primitive.SEP_CONV_3X3, Primitive.SEP_CONV_5X5, Primitive.DIL_CONV_3X3, Primitive.DIL_CONV_5X5
  };

  private RandomGenotypes() {}

  /**
   * A uniformly random genotype of the DARTS shape: for every node of each cell, two distinct
   * inputs drawn without replacement from the earlier states (so every ordered pair is equally
   * likely), and on each an op drawn uniformly from the 7 non-none primitives; all intermediate
   * nodes concatenated. Exactly what the DARTS rule can produce.
   */
  public static Genotype sample(Random random, int nodes) {
    List<Gene> normal = sampleCell(random, nodes);
    List<Gene> reduce = sampleCell(random, nodes);
    return Genotype.of(normal, reduce);
  }

  /** The genes of one random cell (see {@link #sample}). */
  public static List<Gene> sampleCell(Random random, int nodes) {
    if (nodes < 1) throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
    List<Gene> genes = new ArrayList<>(2 * nodes);
    for (int node = CellTopology.CELL_INPUTS; node < CellTopology.CELL_INPUTS + nodes; node++) {
      int first = random.nextInt(node);
      int second = random.nextInt(node - 1);
      if (second >= first) second++;
      genes.add(new Gene(OPS[random.nextInt(OPS.length)], first));
      genes.add(new Gene(OPS[random.nextInt(OPS.length)], second));
    }
    return genes;
  }

  /**
   * A uniformly random op on every edge of one cell, none included: an architecture of the
   * weight-sharing supernet with all edges active (what Gumbel sampling around A = 0 gives).
   */
  public static Primitive[] sampleEdgeOps(Random random, int nodes) {
    Primitive[] ops = new Primitive[CellTopology.edgeCount(nodes)];
    for (int e = 0; e < ops.length; e++) ops[e] = Primitive.at(random.nextInt(Primitive.COUNT));
    return ops;
  }
}
