package dev.pvll.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The project's one closeness rule, the same as native/tests/test_support.h:
 * {@code |ref - out| <= atol + rtol * |ref|}. Prints the first ten mismatches and the seed.
 */
public record Tolerance(double atol, double rtol) {
  /** Float32 kernels against an independent float32 implementation. */
  public static final Tolerance FLOAT = new Tolerance(1e-5, 1e-5);
  /** Bit-identical. */
  public static final Tolerance EXACT = new Tolerance(0, 0);

  public void assertClose(String what, float[] ref, float[] out, long seed) {
    assertClose(what, ref, out, null, seed);
  }

  /**
   * As {@link #assertClose(String, float[], float[], long)} with a per-value allowance on top:
   * {@code |ref - out| <= atol + rtol * |ref| + slack[i]} (slack null: none), for values whose
   * reference is itself uncertain by a measured amount.
   */
  public void assertClose(String what, float[] ref, float[] out, float[] slack, long seed) {
    if (ref.length != out.length) fail(what + ": length " + out.length + " != expected " + ref.length + " (seed " + seed + ")");
    if (slack != null && slack.length != ref.length) fail(what + ": " + slack.length + " allowances for " + ref.length + " values");
    StringBuilder sb = new StringBuilder();
    int bad = 0;
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double diff = Math.abs((double) ref[i] - out[i]);
      double extra = slack == null ? 0 : slack[i];
      boolean ok = diff <= atol + rtol * Math.abs(ref[i]) + extra;
      if (!ok || Float.isNaN(out[i]) != Float.isNaN(ref[i])) {
        if (bad < 10) {
          sb.append(String.format("%n  at %d: expected %.9g got %.9g (diff %.3g", i, ref[i], out[i], diff))
              .append(slack == null ? ")" : String.format(", allowance %.3g)", extra));
        }
        bad++;
        worst = Math.max(worst, diff);
      }
    }
    if (bad > 0) {
      fail(String.format("%s: %d of %d values outside atol %.1e rtol %.1e%s (worst diff %.3g), seed %d (rerun with -Dpvll.seed=%d):%s",
          what, bad, ref.length, atol, rtol, slack == null ? "" : " plus the per-value allowance", worst, seed, seed, sb));
    }
  }

  public void assertClose(String what, double[] ref, double[] out, long seed) {
    float[] r = new float[ref.length], o = new float[out.length];
    StringBuilder sb = new StringBuilder();
    int bad = 0;
    for (int i = 0; i < Math.min(ref.length, out.length); i++) {
      double diff = Math.abs(ref[i] - out[i]);
      if (!(diff <= atol + rtol * Math.abs(ref[i]))) {
        if (bad < 10) sb.append(String.format("%n  at %d: expected %.12g got %.12g", i, ref[i], out[i]));
        bad++;
      }
    }
    if (ref.length != out.length || bad > 0) {
      fail(String.format("%s: %d mismatches (atol %.1e rtol %.1e), seed %d:%s", what, bad, atol, rtol, seed, sb));
    }
  }
}
