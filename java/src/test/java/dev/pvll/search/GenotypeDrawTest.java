package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.space.Gene;
import dev.pvll.space.Primitive;
import org.junit.jupiter.api.Test;

class GenotypeDrawTest {
  private static final ArchEncoding ENC = ArchEncoding.DARTS;
  private static final double TAU = 0.1;

  static double[] randomAlpha(long seed, double scale) {
    SplitMix64 r = new SplitMix64(seed);
    double[] a = new double[ENC.size()];
    for (int i = 0; i < a.length; i++) a[i] = scale * r.nextGaussian();
    return a;
  }

  static double[] gumbel(long counter) {
    return GumbelSampler.sampleJava(ENC, new double[ENC.size()], 99, counter, TAU).gumbel();
  }

  @Test
  void theGenotypeAndItsEncodingAgree() {
    double[] a = randomAlpha(1, 1.0);
    for (long n = 0; n < 200; n++) {
      GenotypeDraw d = GenotypeDraw.of(ENC, a, gumbel(n), TAU);
      int kept = 0;
      for (int row = 0; row < ENC.rows(); row++) {
        double sum = 0;
        for (int c = 0; c < ENC.ops(); c++) sum += d.h()[ENC.index(row, c)];
        assertEquals(1, sum, 1e-9, "row " + row + " sums to 1");
        if (d.kept()[row]) {
          kept++;
          assertEquals(0, d.h()[ENC.index(row, 0)], "a kept edge has no none weight");
        } else {
          assertEquals(1, d.h()[ENC.index(row, 0)], "a dropped edge is none");
        }
      }
      assertEquals(16, kept, "two edges per node, 4 nodes, 2 cells");
      for (int cell = 0; cell < 2; cell++) {
        var genes = cell == 0 ? d.genotype().normal() : d.genotype().reduce();
        for (int k = 0; k < genes.size(); k++) {
          Gene g = genes.get(k);
          int node = k / 2 + 2, row = cell * ENC.edgesPerCell() + (node - 2) * (node + 1) / 2 + g.input();
          assertTrue(d.kept()[row], "gene " + k + " sits on a kept edge");
          int arg = 1;
          for (int c = 2; c < ENC.ops(); c++) if (d.h()[ENC.index(row, c)] > d.h()[ENC.index(row, arg)]) arg = c;
          assertEquals(Primitive.at(arg), g.op(), "the gene's op is H's argmax");
        }
      }
    }
  }

  @Test
  void opsAndEdgesFollowAsDistribution() {
    double[] a = randomAlpha(2, 1.0);
    int draws = 40_000;
    // row 0: node 2's edge from input 0, always kept; its op ~ softmax(A[0]) over the non-none ops
    double[] opCount = new double[ENC.ops()];
    // node 3 (rows 2, 3, 4): pairs of kept edges ~ Plackett-Luce top 2 with weights 1 - p_none
    int[] keptCount = new int[3];
    for (long n = 0; n < draws; n++) {
      GenotypeDraw d = GenotypeDraw.of(ENC, a, gumbel(n), TAU);
      opCount[d.genotype().normal().get(0).input() == 0 ? d.genotype().normal().get(0).op().ordinal()
          : d.genotype().normal().get(1).op().ordinal()]++;
      for (int i = 0; i < 3; i++) if (d.kept()[2 + i]) keptCount[i]++;
    }
    double z = 0;
    for (int c = 1; c < ENC.ops(); c++) z += Math.exp(a[c]);
    for (int c = 1; c < ENC.ops(); c++) {
      double p = Math.exp(a[c]) / z;
      assertEquals(p, opCount[c] / draws, 4 * Math.sqrt(p * (1 - p) / draws) + 1e-3, "op " + c + " on a kept edge");
    }
    double[] w = new double[3];
    for (int i = 0; i < 3; i++) w[i] = Math.exp(GenotypeDraw.logKeepProbability(ENC, a, 2 + i));
    double total = w[0] + w[1] + w[2];
    for (int i = 0; i < 3; i++) {
      double p = w[i] / total; // first pick
      for (int j = 0; j < 3; j++) if (j != i) p += w[j] / total * w[i] / (total - w[j]); // second pick
      assertEquals(p, (double) keptCount[i] / draws, 4 * Math.sqrt(p * (1 - p) / draws) + 1e-3, "edge " + i + " of node 3 kept");
    }
  }

  @Test
  void theObjectiveGradientMatchesFiniteDifferences() {
    MlpPredictor psi = new MlpPredictor(ENC, MlpPredictor.DEFAULT_HIDDEN, 5);
    double[] a = randomAlpha(3, 0.5), g = gumbel(7);
    double tau = 1.0; // a soft H, so the finite differences see a smooth function
    GenotypeDraw d = GenotypeDraw.of(ENC, a, g, tau);
    double[] grad = new double[ENC.size()];
    d.objectiveGradient(psi, tau, grad);
    for (int i = 0; i < a.length; i += 3) {
      double eps = 1e-5, saved = a[i];
      a[i] = saved + eps;
      double up = objective(psi, a, g, tau, d);
      a[i] = saved - eps;
      double down = objective(psi, a, g, tau, d);
      a[i] = saved;
      assertEquals((up - down) / (2 * eps), grad[i], 1e-6 + 1e-4 * Math.abs(grad[i]), "d objective / d A[" + i + "]");
    }
  }

  /** psi(H)^2 of the same genotype (the draw's kept edges and ops) at A, with the same g. */
  private static double objective(Predictor psi, double[] a, double[] g, double tau, GenotypeDraw fixed) {
    GenotypeDraw d = GenotypeDraw.of(ENC, a, g, tau);
    assertEquals(fixed.genotype(), d.genotype(), "a small change of A keeps the draw");
    double p = psi.predict(d.h());
    return p * p;
  }
}
