package dev.pvll.search;

import java.util.Arrays;

/** Kendall's rank correlation. */
public final class KendallTau {
  private KendallTau() {}

  /**
   * Kendall's tau-b of paired samples a and b (equal length), which corrects for ties:
   * (concordant - discordant) / sqrt((n0 - tiesA) * (n0 - tiesB)) with n0 = n(n-1)/2 pairs,
   * tiesA the pairs tied in a (tied in both counts in both). O(n^2); meant for n up to a few
   * hundred. Returns NaN, as scipy does, when a or b is constant or n < 2.
   */
  public static double tau(double[] a, double[] b) {
    if (a.length != b.length) throw new IllegalArgumentException("KendallTau: lengths differ: " + a.length + " vs " + b.length);
    int n = a.length;
    long concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        int sa = Double.compare(a[i], a[j]) == 0 ? 0 : (a[i] < a[j] ? -1 : 1);
        int sb = Double.compare(b[i], b[j]) == 0 ? 0 : (b[i] < b[j] ? -1 : 1);
        if (sa == 0) tiesA++;
        if (sb == 0) tiesB++;
        if (sa != 0 && sb != 0) {
          if (sa == sb) concordant++;
          else discordant++;
        }
      }
    }
    long pairs = (long) n * (n - 1) / 2;
    double denominator = Math.sqrt((double) (pairs - tiesA) * (double) (pairs - tiesB));
    if (denominator == 0) return Double.NaN;
    return (concordant - discordant) / denominator;
  }

  /**
   * psi's held-out tau over the second half of a search: Kendall's tau-b of the pairs from index
   * n / 2 on (integer division) of predictions and labels, the held-out predictions of a search's
   * steps in order and their labels. The late steps are where a search spends its labels near the
   * best it has found, so this is the harder figure; the whole run's tau also rewards the first
   * half's coarse progress. NaN with fewer than two pairs in the second half.
   */
  public static double secondHalf(double[] predictions, double[] labels) {
    if (predictions.length != labels.length) {
      throw new IllegalArgumentException("KendallTau: lengths differ: " + predictions.length + " vs " + labels.length);
    }
    int from = secondHalfFrom(predictions.length);
    if (predictions.length - from < 2) return Double.NaN;
    return tau(Arrays.copyOfRange(predictions, from, predictions.length), Arrays.copyOfRange(labels, from, labels.length));
  }

  /** The index where the second half of n search steps begins ({@link #secondHalf}): n / 2. */
  public static int secondHalfFrom(int n) {
    return n / 2;
  }
}
