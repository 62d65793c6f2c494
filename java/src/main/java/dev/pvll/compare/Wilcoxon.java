package dev.pvll.compare;

import java.util.Arrays;

/**
 * Wilcoxon's signed-rank test for paired samples with its exact null distribution: zero
 * differences are dropped (Wilcoxon's convention), tied |differences| share their mean rank, and
 * the p-values count every one of the 2^n sign assignments of those ranks (n at most 24).
 */
public final class Wilcoxon {
  /**
   * @param n pairs with a non-zero difference
   * @param wPlus the sum of the ranks of the positive differences x - y
   * @param pLess one-sided p of "x tends to be lower than y": P(W+ <= observed)
   * @param pTwoSided two-sided p: 2 min(P(W+ <= observed), P(W+ >= observed)), at most 1
   */
  public record Result(int n, double wPlus, double pLess, double pTwoSided) {}

  private Wilcoxon() {}

  /** The test of x against y, paired by index. */
  public static Result test(double[] x, double[] y) {
    if (x.length != y.length) throw new IllegalArgumentException("paired samples need equal lengths, got " + x.length + " and " + y.length);
    double[] d = new double[x.length];
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      double diff = x[i] - y[i];
      if (!Double.isFinite(diff)) throw new IllegalArgumentException("pair " + i + " has a non-finite difference");
      if (diff != 0) d[n++] = diff;
    }
    d = Arrays.copyOf(d, n);
    if (n > 24) throw new IllegalArgumentException("the exact test enumerates 2^n sign assignments; n = " + n + " is too many");
    if (n == 0) return new Result(0, 0, 1, 1);
    double[] ranks = ranksOfAbsolute(d);
    double observed = 0;
    for (int i = 0; i < n; i++) if (d[i] > 0) observed += ranks[i];
    long atMost = 0, atLeast = 0, total = 1L << n;
    double eps = 1e-9;
    for (long mask = 0; mask < total; mask++) {
      double w = 0;
      for (int i = 0; i < n; i++) if ((mask & (1L << i)) != 0) w += ranks[i];
      if (w <= observed + eps) atMost++;
      if (w >= observed - eps) atLeast++;
    }
    double pLess = (double) atMost / total, pGreater = (double) atLeast / total;
    return new Result(n, observed, pLess, Math.min(1, 2 * Math.min(pLess, pGreater)));
  }

  /** Ranks 1..n of |d|, ties sharing their mean rank. */
  static double[] ranksOfAbsolute(double[] d) {
    Integer[] order = new Integer[d.length];
    for (int i = 0; i < d.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Double.compare(Math.abs(d[a]), Math.abs(d[b])));
    double[] ranks = new double[d.length];
    for (int i = 0; i < d.length; ) {
      int j = i;
      while (j + 1 < d.length && Math.abs(d[order[j + 1]]) == Math.abs(d[order[i]])) j++;
      double mean = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) ranks[order[k]] = mean;
      i = j + 1;
    }
    return ranks;
  }
}
