package dev.pvll.testing;

import java.util.Random;

/**
 * Fresh random inputs each run; the seed is printed in every failure message. Rerun a failure
 * with {@code mvn test -Dpvll.seed=N}.
 */
public final class Seeds {
  private Seeds() {}

  /** The seed given as -Dpvll.seed, or a fresh one. */
  public static long next() {
    String fixed = System.getProperty("pvll.seed");
    if (fixed != null && !fixed.isBlank() && !fixed.startsWith("$")) return Long.parseLong(fixed.trim());
    return System.nanoTime() ^ Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
  }

  /** n standard normal floats. */
  public static float[] normal(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  /** n uniform floats in [lo, hi). */
  public static float[] uniform(Random r, int n, float lo, float hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextFloat();
    return v;
  }
}
