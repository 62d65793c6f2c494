package dev.pvll.search;

/**
 * A small splittable random generator whose whole state is one {@code long} (Steele, Lea and
 * Flood's SplitMix64, as in Vigna's splitmix64.c), so it can be checkpointed and restored
 * exactly. Not thread-safe.
 */
public final class SplitMix64 {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private long state;

  /** A generator starting from {@code seed} (any value). */
  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** The state: a generator built with this value continues exactly where this one is. */
  public long state() {
    return state;
  }

  /** Sets the state (see {@link #state()}). */
  public void setState(long state) {
    this.state = state;
  }

  /** The next 64 random bits. */
  public long nextLong() {
    long z = (state += GOLDEN_GAMMA);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1p-53;
  }

  /** A uniform double in [lo, hi). */
  public double uniform(double lo, double hi) {
    return lo + (hi - lo) * nextDouble();
  }

  /** A uniform int in [0, bound), bound > 0, without modulo bias (Lemire's method). */
  public int nextInt(int bound) {
    if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
    long threshold = (1L << 32) % bound;
    for (;;) {
      long m = (nextLong() >>> 32) * bound;
      if ((m & 0xFFFFFFFFL) >= threshold) return (int) (m >>> 32);
    }
  }

  /** A standard normal variate (Box-Muller; no cached second value, so the state stays one long). */
  public double nextGaussian() {
    double u1 = (nextLong() >>> 11) * 0x1p-53 + 0x1p-54; // in (0, 1): log is finite
    double u2 = nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A new generator for an independent sub-stream (the next output becomes its seed). */
  public SplitMix64 split() {
    return new SplitMix64(nextLong());
  }

  /** Shuffles {@code a} in place (Fisher-Yates). */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
