package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import org.junit.jupiter.api.Test;

/** The kernel psi against a naive reference: each system solved by elimination, leave-one-out by refitting without the label. */
class KernelPredictorTest {
  private static final ArchEncoding SMALL = new ArchEncoding(2, 3);

  static double kernel(ArchEncoding enc, double c, double g, double[] a, double[] b) {
    return kernel(enc, null, c, g, a, b);
  }

  /** The kernel on the features [h, w * per-row op attributes], written out entry by entry (attributes null: on h alone). */
  static double kernel(ArchEncoding enc, double[][] attributes, double c, double g, double[] a, double[] b) {
    double w = KernelPredictor.ATTRIBUTE_WEIGHT, s = 1;
    if (attributes != null) {
      double meanSquares = 0;
      for (double[] op : attributes) for (double v : op) meanSquares += v * v / attributes.length;
      s = 1 + w * w * meanSquares;
    }
    double dot = 0, sa = 0, sb = 0;
    for (int row = 0; row < enc.rows(); row++) {
      for (int o = 0; o < enc.ops(); o++) {
        double x = a[enc.index(row, o)], y = b[enc.index(row, o)];
        dot += x * y;
        sa += x;
        sb += y;
      }
      if (attributes == null) continue;
      for (int k = 0; k < attributes[0].length; k++) {
        double x = 0, y = 0;
        for (int o = 0; o < enc.ops(); o++) {
          x += w * attributes[o][k] * a[enc.index(row, o)];
          y += w * attributes[o][k] * b[enc.index(row, o)];
        }
        dot += x * y;
        sa += x;
        sb += y;
      }
    }
    return c * dot / (enc.rows() * s) + Math.exp(-g * (sa + sb - 2 * dot) / (2 * s));
  }

  /** Solves (K_S + lambda W_S^-1) alpha = r_S over the labels S = all but skip, by Gaussian elimination; alpha indexed like x (0 at skip). */
  static double[] naiveAlpha(ArchEncoding enc, double[][] attributes, double c, double g, double[][] x, double[] r, double[] w, double lambda, int skip) {
    int m = x.length;
    double[][] a = new double[m][m + 1];
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < m; k++) a[i][k] = i == skip || k == skip ? (i == k ? 1 : 0) : kernel(enc, attributes, c, g, x[i], x[k]);
      if (i != skip) a[i][i] += lambda / w[i];
      a[i][m] = i == skip ? 0 : r[i];
    }
    return RidgePredictorTest.solveByElimination(a);
  }

  /** The weights the fit uses: the given ones times exp(-(label - best) / T), T half the labels' standard deviation. */
  static double[] focused(double[] y, double[] w) {
    double best = Double.POSITIVE_INFINITY, mean = 0, var = 0;
    for (double v : y) {
      best = Math.min(best, v);
      mean += v / y.length;
    }
    for (double v : y) var += (v - mean) * (v - mean) / y.length;
    double t = 0.5 * Math.sqrt(var);
    double[] out = new double[y.length];
    for (int i = 0; i < y.length; i++) out[i] = w[i] * Math.exp(-(y[i] - best) / t);
    return out;
  }

  @Test
  void fitMatchesNaiveKernelRidgeWithLeaveOneOutByRefitting() {
    checkAgainstNaive(null);
  }

  @Test
  void fitWithOpAttributesMatchesNaiveKernelRidgeOnTheirFeatures() {
    checkAgainstNaive(new double[][] {{1, 0}, {0, 1}, {0.5, 2}});
  }

  /** The fit's kernel, penalty and predictions against the naive reference, with the given op attributes (null: none). */
  private static void checkAgainstNaive(double[][] attributes) {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    int m = 11;
    double[][] x = new double[m][];
    double[] y = new double[m], w = new double[m];
    for (int i = 0; i < m; i++) {
      x[i] = RidgePredictorTest.oneHot(SMALL, r);
      y[i] = 0.8 + 0.3 * r.nextDouble() + 0.1 * x[i][0];
      w[i] = 0.5 + r.nextDouble();
    }
    double[] wf = focused(y, w);
    double mu = 0, wSum = 0;
    for (int i = 0; i < m; i++) {
      mu += wf[i] * y[i];
      wSum += wf[i];
    }
    mu /= wSum;
    double[] res = new double[m];
    for (int i = 0; i < m; i++) res[i] = y[i] - mu;
    double bestError = Double.POSITIVE_INFINITY, bestC = 0, bestG = 0, bestLambda = 0;
    for (double c : KernelPredictor.LINEAR_SCALES) {
      for (double g : KernelPredictor.WIDTHS) {
        for (double lambda : KernelPredictor.PENALTIES) {
          double error = 0;
          for (int i = 0; i < m; i++) {
            double[] alpha = naiveAlpha(SMALL, attributes, c, g, x, res, wf, lambda, i);
            double pred = 0;
            for (int k = 0; k < m; k++) if (k != i) pred += alpha[k] * kernel(SMALL, attributes, c, g, x[i], x[k]);
            error += wf[i] * (res[i] - pred) * (res[i] - pred);
          }
          if (error < bestError) {
            bestError = error;
            bestC = c;
            bestG = g;
            bestLambda = lambda;
          }
        }
      }
    }
    KernelPredictor psi = new KernelPredictor(SMALL, 20, attributes);
    psi.fit(x, y, w);
    assertEquals(m, psi.supportSize());
    assertArrayEquals(new double[] {bestC, bestG}, psi.chosenKernel(), 0.0, "seed " + seed);
    double[] alpha = naiveAlpha(SMALL, attributes, bestC, bestG, x, res, wf, bestLambda, -1);
    for (int t = 0; t < 5; t++) {
      double[] h = t < 2 ? x[t] : RidgePredictorTest.oneHot(SMALL, r);
      double expected = mu;
      for (int k = 0; k < m; k++) expected += alpha[k] * kernel(SMALL, attributes, bestC, bestG, h, x[k]);
      assertEquals(expected, psi.predict(h), 1e-9, "seed " + seed + ", point " + t);
    }
  }

  @Test
  void theKernelKindSeesOpAttributesInTheDartsSpaceOnly() {
    KernelPredictor darts = (KernelPredictor) PredictorKind.KERNEL.create(ArchEncoding.DARTS, 1, 50);
    KernelPredictor small = (KernelPredictor) PredictorKind.KERNEL.create(SMALL, 1, 50);
    assertTrue(darts.usesOpAttributes(), darts.describe());
    assertTrue(!small.usesOpAttributes(), small.describe());
    assertTrue(darts.copy().usesOpAttributes(), "a copy keeps the attributes");
    assertEquals(8, KernelPredictor.dartsOpAttributes().length);
  }

  @Test
  void badOpAttributesAreRefusedWithWhatIsWrong() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KernelPredictor(SMALL, 4, new double[][] {{1}, {1}}));
    assertTrue(e.getMessage().contains("2 rows of op attributes for 3 ops"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KernelPredictor(SMALL, 4, new double[][] {{1}, {1, 0}, {1}}));
    assertTrue(e.getMessage().contains("op 1 has 2 attributes, op 0 has 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KernelPredictor(SMALL, 4, new double[][] {{1}, {-1}, {1}}));
    assertTrue(e.getMessage().contains("op 1 has attribute -1.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KernelPredictor(SMALL, 4, new double[][] {{}, {}, {}}));
    assertTrue(e.getMessage().contains("at least one column"), e.getMessage());
  }

  @Test
  void fitsTheLastCapacityLabelsAndIsDeterministic() {
    SplitMix64 r = new SplitMix64(Seeds.next());
    double[][] x = new double[9][];
    double[] y = new double[9], w = new double[9];
    for (int i = 0; i < 9; i++) {
      x[i] = RidgePredictorTest.oneHot(SMALL, r);
      y[i] = r.nextDouble();
      w[i] = 1;
    }
    KernelPredictor a = new KernelPredictor(SMALL, 6), b = new KernelPredictor(SMALL, 6);
    a.fit(x, y, w);
    b.fit(java.util.Arrays.copyOfRange(x, 3, 9), java.util.Arrays.copyOfRange(y, 3, 9), java.util.Arrays.copyOfRange(w, 3, 9));
    assertEquals(6, a.supportSize());
    assertArrayEquals(b.parameters(), a.parameters(), 0.0, "the last 6 of 9 labels, as if only they were given");
    assertArrayEquals(a.parameters(), a.copy().parameters(), 0.0);
    KernelPredictor restored = new KernelPredictor(SMALL, 6);
    restored.setParameters(a.parameters());
    double[] h = RidgePredictorTest.oneHot(SMALL, r);
    assertEquals(a.predict(h), restored.predict(h), 0.0);
  }

  @Test
  void oneLabelGivesAConstantAndNoLabelsChangeNothing() {
    KernelPredictor psi = new KernelPredictor(SMALL, 4);
    double[] h = RidgePredictorTest.oneHot(SMALL, new SplitMix64(5));
    psi.fit(new double[0][], new double[0], new double[0]);
    assertEquals(0, psi.predict(h), 0.0);
    psi.fit(new double[][] {h}, new double[] {0.9}, new double[] {1});
    assertEquals(0.9, psi.predict(h), 1e-15);
    assertEquals(0.9, psi.predict(new double[SMALL.size()]), 1e-15);
  }

  @Test
  void badInputIsRefusedWithWhatIsWrong() {
    KernelPredictor psi = new KernelPredictor(SMALL, 4);
    double[] h = new double[SMALL.size()];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> psi.fit(new double[][] {h, h}, new double[] {1, Double.NaN}, new double[] {1, 1}));
    assertTrue(e.getMessage().contains("label 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> psi.fit(new double[][] {h, h}, new double[] {1, 2}, new double[] {1, 0}));
    assertTrue(e.getMessage().contains("weight 1"), e.getMessage());
    double[] p = psi.parameters().clone();
    p[0] = 5;
    e = assertThrows(IllegalArgumentException.class, () -> psi.setParameters(p));
    assertTrue(e.getMessage().contains("support count 5.0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new KernelPredictor(SMALL, 0));
  }
}
