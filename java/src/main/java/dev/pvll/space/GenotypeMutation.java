package dev.pvll.space;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One mutation of a genotype, as regularized evolution (Real et al. 2019) applies it to the DARTS
 * space: pick a cell type, a node and one of its two genes uniformly; then, with probability 1/2,
 * replace the gene's op by another non-none op, else move the gene to another input of its node
 * (one the node's other gene does not use, so the two inputs stay distinct, as the DARTS rule
 * derives them). The child always differs from its parent, and it is a valid genotype.
 */
public final class GenotypeMutation {
  private GenotypeMutation() {}

  /**
   * The mutated child of parent.
   *
   * @param random a source of uniform ints in [0, bound) (called as {@code random.applyAsInt(bound)})
   */
  public static Genotype mutate(Genotype parent, IntUnaryOperator random) {
    CellType cell = random.applyAsInt(2) == 0 ? CellType.NORMAL : CellType.REDUCE;
    List<Gene> genes = new ArrayList<>(parent.genes(cell));
    int nodes = parent.nodes();
    int node = random.applyAsInt(nodes), which = random.applyAsInt(2);
    int k = 2 * node + which;
    Gene gene = genes.get(k), other = genes.get(2 * node + 1 - which);
    int inputs = node + CellTopology.CELL_INPUTS;
    boolean canMoveInput = inputs > 2 || other.input() == gene.input(); // a node with 2 inputs has no third
    if (random.applyAsInt(2) == 0 || !canMoveInput) {
      Primitive op = otherOp(gene.op(), random);
      genes.set(k, new Gene(op, gene.input()));
    } else {
      List<Integer> free = new ArrayList<>();
      for (int i = 0; i < inputs; i++) if (i != gene.input() && i != other.input()) free.add(i);
      genes.set(k, new Gene(gene.op(), free.get(random.applyAsInt(free.size()))));
    }
    return cell == CellType.NORMAL
        ? new Genotype(genes, parent.normalConcat(), parent.reduce(), parent.reduceConcat())
        : new Genotype(parent.normal(), parent.normalConcat(), genes, parent.reduceConcat());
  }

  /** A non-none op other than op, uniformly. */
  private static Primitive otherOp(Primitive op, IntUnaryOperator random) {
    List<Primitive> choices = new ArrayList<>();
    for (Primitive p : Primitive.values()) if (p != Primitive.NONE && p != op) choices.add(p);
    return choices.get(random.applyAsInt(choices.size()));
  }
}
