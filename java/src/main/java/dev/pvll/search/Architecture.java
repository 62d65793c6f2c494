package dev.pvll.search;

import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import java.util.Arrays;

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
 * @param edgeWeights H[row, ops[row]] per row, [rows]
 */
public record Architecture(ArchEncoding encoding, long counter, double[] gumbel, double[] weights, int[] ops, double[] edgeWeights) {
  public Architecture {
    encoding.checkSize("gumbel", gumbel);
    encoding.checkSize("weights", weights);
    if (ops.length != encoding.rows() || edgeWeights.length != encoding.rows()) {
      throw new IllegalArgumentException("ops and edgeWeights need " + encoding.rows() + " values");
    }
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
