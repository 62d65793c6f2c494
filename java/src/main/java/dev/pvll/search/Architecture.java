package dev.pvll.search;

import dev.pvll.space.CellTopology;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import java.util.Arrays;
import java.util.List;

/**
 * One sampled architecture: the Gumbel noise g of its draw, the soft weights
 * H = softmax((logits + g) / tau) per edge, the chosen op per edge (argmax of H, the first on
 * ties) and that op's weight H[k], which scales the op's output in the network. All arrays are
 * row-major over {@link ArchEncoding} rows (normal cell edges, then reduction cell edges); treat
 * them as read-only.
 *
 * @param encoding the shape
 * @param counter the sample counter of the random stream that drew g
 * @param gumbel g, [rows * ops]
 * @param weights H, [rows * ops]
 * @param ops chosen op index per row, [rows]
 * @param edgeWeights H[row, ops[row]] per row, [rows]; 1 for genotype draws and genotypes, which
 *     are measured as they are
 */
public record Architecture(ArchEncoding encoding, long counter, double[] gumbel, double[] weights, int[] ops, double[] edgeWeights) {
  public Architecture {
    encoding.checkSize("gumbel", gumbel);
    encoding.checkSize("weights", weights);
    if (ops.length != encoding.rows() || edgeWeights.length != encoding.rows()) {
      throw new IllegalArgumentException("ops and edgeWeights need " + encoding.rows() + " values");
    }
  }

  /**
   * The architecture of a genotype draw: H its (relaxed) encoding for psi, on each edge H's
   * strongest op (none on a dropped edge) with weight 1, so that the supernet measures exactly the
   * genotype the draw names (what is measured is what can be returned).
   */
  public static Architecture of(ArchEncoding enc, GenotypeDraw draw, long counter, double[] gumbel) {
    Architecture relaxed = fromWeights(enc, counter, gumbel, draw.h());
    double[] ones = new double[enc.rows()];
    Arrays.fill(ones, 1);
    return new Architecture(enc, counter, gumbel, draw.h(), relaxed.ops(), ones);
  }

  /**
   * A genotype as a one-hot architecture: weight 1 on each gene's op on its edge (the first gene
   * wins when two share an edge), none elsewhere; g is zero (it was not drawn).
   */
  public static Architecture of(ArchEncoding enc, Genotype genotype) {
    double[] h = new double[enc.size()];
    CellTopology topology = CellTopology.of(enc.nodes());
    for (int cell = 0; cell < 2; cell++) {
      List<Gene> genes = cell == 0 ? genotype.normal() : genotype.reduce();
      boolean[] used = new boolean[enc.edgesPerCell()];
      for (int k = 0; k < genes.size(); k++) {
        int edge = topology.firstEdgeOf(k / 2 + CellTopology.CELL_INPUTS) + genes.get(k).input();
        if (used[edge]) continue;
        used[edge] = true;
        h[enc.index(cell * enc.edgesPerCell() + edge, genes.get(k).op().ordinal())] = 1;
      }
      for (int e = 0; e < used.length; e++) if (!used[e]) h[enc.index(cell * enc.edgesPerCell() + e, Primitive.NONE.ordinal())] = 1;
    }
    return fromWeights(enc, -1, new double[enc.size()], h);
  }

  private static Architecture fromWeights(ArchEncoding enc, long counter, double[] gumbel, double[] h) {
    int[] ops = new int[enc.rows()];
    double[] edgeWeights = new double[enc.rows()];
    for (int row = 0; row < enc.rows(); row++) {
      int best = 0;
      for (int c = 1; c < enc.ops(); c++) if (h[enc.index(row, c)] > h[enc.index(row, best)]) best = c;
      ops[row] = best;
      edgeWeights[row] = h[enc.index(row, best)];
    }
    return new Architecture(enc, counter, gumbel, h, ops, edgeWeights);
  }

  /** The chosen op of edge {@code edge} of cell type {@code cell} (0 normal, 1 reduction). */
  public int op(int cell, int edge) {
    return ops[cell * encoding.edgesPerCell() + edge];
  }

  /** The chosen ops of one cell type (0 normal, 1 reduction), one per edge. */
  public int[] cellOps(int cell) {
    int e = encoding.edgesPerCell();
    return Arrays.copyOfRange(ops, cell * e, (cell + 1) * e);
  }

  /** The supernet's view of this sample: on every edge the chosen op, its output scaled by H[k]. */
  public SampledArchitecture onSupernet() {
    return choices(edgeWeights);
  }

  /** The same with weight 1 on every chosen op: the forward value of GDAS's hard one-hot. */
  public SampledArchitecture hardOnSupernet() {
    double[] ones = new double[edgeWeights.length];
    Arrays.fill(ones, 1);
    return choices(ones);
  }

  private SampledArchitecture choices(double[] weight) {
    int edges = encoding.edgesPerCell();
    float[][] w = new float[2][edges];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < edges; e++) w[t][e] = (float) weight[t * edges + e];
    }
    return new SampledArchitecture(new CellChoice(cellOps(0), w[0]), new CellChoice(cellOps(1), w[1]));
  }

  /** H[row, op]. */
  public double weight(int row, int op) {
    return weights[encoding.index(row, op)];
  }

  @Override
  public String toString() {
    return "Architecture[counter=" + counter + ", ops=" + Arrays.toString(ops) + "]";
  }
}
