package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Kendall tau-b against cases counted by hand. */
class KendallTauTest {
  @Test
  void orderedReversedAndOneSwap() {
    double[] a = {1, 2, 3, 4};
    assertEquals(1.0, KendallTau.tau(a, new double[] {10, 20, 30, 40}), 1e-15);
    assertEquals(-1.0, KendallTau.tau(a, new double[] {4, 3, 2, 1}), 1e-15);
    // One adjacent swap: 5 concordant, 1 discordant of 6 pairs.
    assertEquals(4.0 / 6, KendallTau.tau(a, new double[] {1, 3, 2, 4}), 1e-15);
  }

  @Test
  void tiesInBothSamples() {
    // scipy.stats.kendalltau's documented example: 2 concordant, 6 discordant, 10 pairs,
    // 2 tied in x ((0,3), (1,4)), 1 tied in y ((0,3)): -4 / sqrt(8 * 9).
    double[] x = {12, 2, 1, 12, 2}, y = {1, 4, 7, 1, 0};
    assertEquals(-4 / Math.sqrt(72), KendallTau.tau(x, y), 1e-15);
    assertEquals(-0.47140452079103173, KendallTau.tau(x, y), 1e-15);
    // Ties in one sample only: a = {1, 1, 2}, b = {1, 2, 3}: pairs (0,2), (1,2) concordant,
    // (0,1) tied in a: 2 / sqrt(2 * 3).
    assertEquals(2 / Math.sqrt(6), KendallTau.tau(new double[] {1, 1, 2}, new double[] {1, 2, 3}), 1e-15);
  }

  @Test
  void undefinedCasesAreNaNAndMismatchedLengthsRejected() {
    assertTrue(Double.isNaN(KendallTau.tau(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
    assertTrue(Double.isNaN(KendallTau.tau(new double[] {1}, new double[] {2})));
    assertThrows(IllegalArgumentException.class, () -> KendallTau.tau(new double[2], new double[3]));
  }

  @Test
  void theSecondHalfStartsAtHalfTheLengthRoundedDown() {
    // 5 pairs: the second half is indices 2, 3, 4; the first half's discordance does not count
    double[] p = {2, 1, 3, 4, 5}, l = {1, 2, 3, 4, 5};
    assertEquals(1.0, KendallTau.secondHalf(p, l), 1e-15);
    assertEquals(0.8, KendallTau.tau(p, l), 1e-15);
    // 6 pairs: indices 3, 4, 5 with 5 and 4 swapped: (3,4) discordant, (3,5) and (4,5) concordant
    assertEquals(1.0 / 3, KendallTau.secondHalf(new double[] {1, 2, 3, 5, 4, 6}, new double[] {1, 2, 3, 4, 5, 6}), 1e-15);
    // 3 pairs: indices 1 and 2
    assertEquals(-1.0, KendallTau.secondHalf(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-15);
    assertTrue(Double.isNaN(KendallTau.secondHalf(new double[] {1}, new double[] {1})));
    assertThrows(IllegalArgumentException.class, () -> KendallTau.secondHalf(new double[2], new double[3]));
  }
}
