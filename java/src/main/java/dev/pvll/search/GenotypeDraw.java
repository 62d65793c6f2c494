package dev.pvll.search;

import dev.pvll.space.CellTopology;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import java.util.ArrayList;
import java.util.List;

/**
 * A valid genotype drawn from A's distribution with one Gumbel draw g (the sampler of
 * {@code --sampler genotype}; ours, not METHOD.md's). Per node, two distinct input edges are
 * kept, drawn without replacement with probability proportional to 1 - p_none on each edge
 * (p = softmax(A[e]), the chance that the edge is not {@code none}); on each kept edge the op is
 * drawn from softmax(A[e]) restricted to the non-none ops. The draw is Gumbel-top-2 over the
 * edges with keys log(1 - p_none) + g[e, none] (the none column's noise, which a genotype never
 * uses otherwise), and Gumbel-max over the non-none ops with g[e, op].
 *
 * <p>H, psi's input, follows the genotype: on a kept edge softmax((A + g) / tau) over the
 * non-none ops (none 0), on a dropped edge 1 on none. So every label the memory holds belongs to
 * an architecture the search can return, and the architecture step's gradient reaches A through
 * the kept edges' relaxed ops ({@link #objectiveGradient}); raising an edge's ops' logits lowers
 * its p_none, which keeps that edge more often.
 *
 * @param genotype the drawn genotype
 * @param h psi's encoding of it, [rows * ops]
 * @param kept per row, whether the edge is one of the genotype's
 */
public record GenotypeDraw(Genotype genotype, double[] h, boolean[] kept) {
  private static final int NONE = Primitive.NONE.ordinal();

  /** The genotype of the Gumbel draw g (tau only shapes H). */
  public static GenotypeDraw of(ArchEncoding enc, double[] alpha, double[] gumbel, double tau) {
    enc.checkSize("A", alpha);
    enc.checkSize("gumbel", gumbel);
    GumbelSampler.checkTau(tau);
    CellTopology topology = CellTopology.of(enc.nodes());
    double[] h = new double[enc.size()];
    boolean[] kept = new boolean[enc.rows()];
    List<List<Gene>> cells = new ArrayList<>();
    for (int cell = 0; cell < 2; cell++) {
      List<Gene> genes = new ArrayList<>();
      for (int node = CellTopology.CELL_INPUTS; node < CellTopology.CELL_INPUTS + enc.nodes(); node++) {
        int first = topology.firstEdgeOf(node), inputs = topology.inDegree(node);
        int[] best = {-1, -1};
        double[] bestKey = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int input = 0; input < inputs; input++) {
          int row = cell * enc.edgesPerCell() + first + input;
          double key = logKeepProbability(enc, alpha, row) + gumbel[enc.index(row, NONE)];
          if (key > bestKey[0]) {
            best[1] = best[0];
            bestKey[1] = bestKey[0];
            best[0] = input;
            bestKey[0] = key;
          } else if (key > bestKey[1]) {
            best[1] = input;
            bestKey[1] = key;
          }
        }
        for (int input : best) {
          int row = cell * enc.edgesPerCell() + first + input;
          kept[row] = true;
          genes.add(new Gene(Primitive.at(relaxOps(enc, alpha, gumbel, tau, row, h)), input));
        }
      }
      cells.add(genes);
    }
    for (int row = 0; row < enc.rows(); row++) if (!kept[row]) h[enc.index(row, NONE)] = 1;
    return new GenotypeDraw(Genotype.of(cells.get(0), cells.get(1)), h, kept);
  }

  /**
   * psi(H)^2 for this draw's H and its gradient with respect to A into gradOut (zero on dropped
   * rows and on every none column); returns psi(H). On a kept row, with z = (A + g) / tau over the
   * non-none ops and H = softmax(z): dObj/dA_k = H_k (dObj/dH_k - sum_j H_j dObj/dH_j) / tau.
   */
  public double objectiveGradient(Predictor psi, double tau, double[] gradOut) {
    ArchEncoding e = psi.encoding();
    e.checkSize("gradient", gradOut);
    double pred = psi.predict(h);
    double[] dh = new double[h.length];
    psi.backward(h, 2 * pred, null, dh);
    java.util.Arrays.fill(gradOut, 0);
    for (int row = 0; row < e.rows(); row++) {
      if (!kept[row]) continue;
      int o = row * e.ops();
      double dot = 0;
      for (int c = 0; c < e.ops(); c++) if (c != NONE) dot += h[o + c] * dh[o + c];
      for (int c = 0; c < e.ops(); c++) if (c != NONE) gradOut[o + c] = h[o + c] * (dh[o + c] - dot) / tau;
    }
    return pred;
  }

  /** log(1 - softmax(A[row])[none]), computed as log(sum of the non-none exp) - log(sum of all exp). */
  static double logKeepProbability(ArchEncoding enc, double[] alpha, int row) {
    int o = row * enc.ops();
    double top = Double.NEGATIVE_INFINITY, all = 0, notNone = 0;
    for (int c = 0; c < enc.ops(); c++) top = Math.max(top, alpha[o + c]);
    for (int c = 0; c < enc.ops(); c++) {
      double w = Math.exp(alpha[o + c] - top);
      all += w;
      if (c != NONE) notNone += w;
    }
    return Math.log(notNone) - Math.log(all);
  }

  /** Writes softmax((A + g) / tau) over the non-none ops of row into h; returns its argmax. */
  private static int relaxOps(ArchEncoding enc, double[] alpha, double[] gumbel, double tau, int row, double[] h) {
    int o = row * enc.ops(), arg = -1;
    double top = Double.NEGATIVE_INFINITY, sum = 0;
    for (int c = 0; c < enc.ops(); c++) {
      if (c == NONE) continue;
      double z = (alpha[o + c] + gumbel[o + c]) / tau;
      h[o + c] = z;
      if (z > top) {
        top = z;
        arg = c;
      }
    }
    for (int c = 0; c < enc.ops(); c++) if (c != NONE) sum += h[o + c] = Math.exp(h[o + c] - top);
    for (int c = 0; c < enc.ops(); c++) if (c != NONE) h[o + c] /= sum;
    return arg;
  }
}
