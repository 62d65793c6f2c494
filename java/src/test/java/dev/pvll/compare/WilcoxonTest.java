package dev.pvll.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WilcoxonTest {
  @Test
  void knownAnswers() {
    // all ten differences negative: W+ = 0, one of 1024 sign assignments as low: p = 1/1024
    double[] x = new double[10], y = new double[10];
    for (int i = 0; i < 10; i++) {
      x[i] = i;
      y[i] = i + 0.1 * (i + 1);
    }
    Wilcoxon.Result r = Wilcoxon.test(x, y);
    assertEquals(10, r.n());
    assertEquals(0, r.wPlus());
    assertEquals(1.0 / 1024, r.pLess(), 1e-15);
    assertEquals(2.0 / 1024, r.pTwoSided(), 1e-15);
    // scipy.stats.wilcoxon([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30],
    //   [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29], alternative='greater'): W+ = 40, p = 0.01953125
    double[] a = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    double[] b = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    Wilcoxon.Result s = Wilcoxon.test(a, b);
    assertEquals(40, s.wPlus(), 1e-12);
    // P(W+ >= 40) = P(W- <= 5) = 10 / 512 (the subsets of 1..9 summing to at most 5); P(W+ <= 40) = 1 - P(W- <= 4) = 1 - 7 / 512
    assertEquals(1 - 7.0 / 512, s.pLess(), 1e-12);
    assertEquals(2 * 0.01953125, s.pTwoSided(), 1e-12);
  }

  @Test
  void zerosAreDroppedAndTiesShareTheirMeanRank() {
    assertArrayEquals(new double[] {1.5, 1.5, 3, 4.5, 4.5}, Wilcoxon.ranksOfAbsolute(new double[] {1, -1, 2, -3, 3}), 0);
    Wilcoxon.Result r = Wilcoxon.test(new double[] {1, 2, 3}, new double[] {1, 2, 3});
    assertEquals(0, r.n());
    assertEquals(1, r.pTwoSided());
  }
}
