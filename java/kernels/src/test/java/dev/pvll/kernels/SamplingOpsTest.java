package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.kernels.bind.CpuSamplingKernels;
import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Philox stream and the fused Gumbel-softmax + argmax, against a plain Java version. */
class SamplingOpsTest {
  private static final float EULER_GAMMA = 0.5772157f;

  @Test
  void javaPhiloxGivesRandom123KnownAnswers() {
    assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, Philox.block(0, 0, 0, 0, 0, 0));
    assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, Philox.block(-1, -1, -1, -1, -1, -1));
    int[] pi = {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1};
    assertArrayEquals(pi, Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    assertArrayEquals(pi, Philox.streamBlock(0x299f31d0a4093822L, 0x85a308d3243f6a88L, 0x0370734413198a2eL));
    assertEquals(0x1p-33, Philox.uniform(0));
    assertEquals(1 - 0x1p-33, Philox.uniform(-1));
  }

  @Test
  void kernelMatchesPlainJavaStreamAndSoftmax() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] shapes = {{28, 8}, {3, 5}, {1, 1}, {200, 37}};
    for (int[] s : shapes) {
      int rows = s[0], cols = s[1];
      float[] logits = Seeds.normal(r, rows * cols);
      long streamSeed = r.nextLong(), counter = r.nextLong();
      float tau = 0.1f + r.nextFloat();
      try (Scope scope = Scope.open()) {
        Tensor x = Tensor.of(Device.cpu(), logits, rows, cols);
        Tensor g = Tensor.empty(Device.cpu(), rows, cols), w = Tensor.empty(Device.cpu(), rows, cols);
        Tensor idx = Tensor.empty(Device.cpu(), rows);
        SamplingOps.gumbelSoftmaxArgmax(x, streamSeed, counter, tau, g, w, idx);
        float[] gj = new float[rows * cols];
        Philox.gumbel(streamSeed, counter, 0, gj);
        float[] wj = new float[rows * cols], ij = new float[rows];
        softmaxArgmax(logits, gj, rows, cols, tau, wj, ij);
        String what = Arrays.toString(s) + " seed " + streamSeed + " counter " + counter;
        // libm and Java logarithms may differ in the last double bit: one float ulp at most.
        Tolerance gumbelTolerance = new Tolerance(0, 1.2e-7);
        gumbelTolerance.assertClose("gumbel " + what, gj, g.toArray(), seed);
        Tolerance.FLOAT.assertClose("weights " + what, wj, w.toArray(), seed);
        assertArrayEquals(ij, idx.toArray(), "indices " + what + ", seed " + seed);
      }
    }
  }

  @Test
  void millionDrawsAgreeWithJavaMirrorWithinOneFloatUlp() {
    long seed = Seeds.next();
    int n = 1_000_000;
    float[] java = new float[n];
    Philox.gumbel(seed, 12345, 17, java);
    try (Tensor t = Tensor.empty(Device.cpu(), n)) {
      SamplingOps.gumbelNoise(seed, 12345, 17, t);
      float[] nat = t.toArray();
      int exact = 0;
      for (int i = 0; i < n; i++) {
        if (nat[i] == java[i]) exact++;
        else assertTrue(Math.abs(nat[i] - java[i]) <= Math.ulp(java[i]), "element " + i + ": " + nat[i] + " vs " + java[i] + ", seed " + seed);
      }
      System.out.printf("gumbel stream: %d of %d draws bit-identical between libpvll and Java%n", exact, n);
    }
  }

  @Test
  void fastKernelMatchesNaiveReferenceExactly() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    int rows = 300, cols = 13;
    float[] logits = Seeds.normal(r, rows * cols);
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(Device.cpu(), logits, rows, cols);
      Tensor[] fast = {Tensor.empty(Device.cpu(), rows, cols), Tensor.empty(Device.cpu(), rows, cols), Tensor.empty(Device.cpu(), rows)};
      Tensor[] ref = {Tensor.empty(Device.cpu(), rows, cols), Tensor.empty(Device.cpu(), rows, cols), Tensor.empty(Device.cpu(), rows)};
      SamplingOps.gumbelSoftmaxArgmax(x, seed, 3, 0.1f, fast[0], fast[1], fast[2]);
      assertEquals(0, CpuSamplingKernels.pvll_gumbel_softmax_argmax_ref(x.address(), rows, cols, seed, 3, 0.1f,
          ref[0].address(), ref[1].address(), ref[2].address()));
      for (int i = 0; i < 3; i++) Tolerance.EXACT.assertClose("output " + i, ref[i].toArray(), fast[i].toArray(), seed);
    }
  }

  @Test
  void sameSeedAndCounterGiveTheSameDrawOthersIndependentOnes() {
    long seed = Seeds.next();
    int n = 100_000;
    try (Scope scope = Scope.open()) {
      Tensor a = Tensor.empty(Device.cpu(), n), b = Tensor.empty(Device.cpu(), n);
      Tensor c = Tensor.empty(Device.cpu(), n), d = Tensor.empty(Device.cpu(), n);
      SamplingOps.gumbelNoise(seed, 7, 0, a);
      SamplingOps.gumbelNoise(seed, 7, 0, b);
      SamplingOps.gumbelNoise(seed, 8, 0, c);
      SamplingOps.gumbelNoise(seed + 1, 7, 0, d);
      float[] ga = a.toArray(), gc = c.toArray(), gd = d.toArray();
      assertArrayEquals(ga, b.toArray(), "same (seed, counter) twice, seed " + seed);
      assertFalse(Arrays.equals(ga, gc), "counters 7 and 8 equal");
      double mean = mean(ga);
      assertEquals(EULER_GAMMA, mean, 0.02, "mean of 1e5 Gumbel draws, seed " + seed);
      assertEquals(Math.PI * Math.PI / 6, variance(ga), 0.06, "variance of 1e5 Gumbel draws, seed " + seed);
      assertEquals(0, correlation(ga, gc), 0.02, "correlation across counters, seed " + seed);
      assertEquals(0, correlation(ga, gd), 0.02, "correlation across seeds, seed " + seed);
      // Neighbouring elements within one draw (same and adjacent Philox blocks).
      assertEquals(0, correlation(Arrays.copyOf(ga, n - 1), Arrays.copyOfRange(ga, 1, n)), 0.02, "lag-1 correlation, seed " + seed);
    }
  }

  @Test
  void argmaxFrequenciesFollowSoftmaxOfLogits() {
    long seed = Seeds.next();
    int rows = 40_000, cols = 3;
    float[] base = {0.5f, -0.5f, 1f};
    float[] logits = new float[rows * cols];
    for (int r = 0; r < rows; r++) System.arraycopy(base, 0, logits, r * cols, cols);
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(Device.cpu(), logits, rows, cols);
      Tensor w = Tensor.empty(Device.cpu(), rows, cols), idx = Tensor.empty(Device.cpu(), rows);
      SamplingOps.gumbelSoftmaxArgmax(x, seed, 0, 0.1f, null, w, idx);
      double[] freq = new double[cols];
      for (float i : idx.toArray()) freq[(int) i] += 1.0 / rows;
      double z = 0;
      for (float b : base) z += Math.exp(b);
      for (int c = 0; c < cols; c++) assertEquals(Math.exp(base[c]) / z, freq[c], 0.015, "op " + c + ", seed " + seed);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void badArgumentsAreRejectedBeforeTheNativeCall(Device device) {
    TestDevices.assumePresent(device);
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.zeros(device, 4, 3), w = Tensor.zeros(device, 4, 3), idx = Tensor.zeros(device, 4);
      assertThrows(IllegalArgumentException.class, () -> SamplingOps.gumbelSoftmaxArgmax(x, 1, 1, 0f, null, w, idx));
      assertThrows(IllegalArgumentException.class, () -> SamplingOps.gumbelSoftmaxArgmax(x, 1, 1, 1f, null, Tensor.zeros(device, 3, 4), idx));
      assertThrows(IllegalArgumentException.class, () -> SamplingOps.gumbelSoftmaxArgmax(x, 1, 1, 1f, null, w, Tensor.zeros(device, 3)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SamplingOps.gumbelSoftmaxArgmax(x, 1, 1, 1f, null, x, idx));
      assertTrue(e.getMessage().contains("gumbel_softmax_argmax"), e.getMessage());
      SamplingOps.gumbelSoftmaxArgmax(x, 1, 1, 1f, null, w, idx); // valid arguments run on either device
    }
  }

  private static void softmaxArgmax(float[] logits, float[] g, int rows, int cols, float tau, float[] w, float[] idx) {
    for (int r = 0; r < rows; r++) {
      double[] z = new double[cols];
      int best = 0;
      for (int c = 0; c < cols; c++) {
        z[c] = ((double) logits[r * cols + c] + g[r * cols + c]) / tau;
        if (z[c] > z[best]) best = c;
      }
      double sum = 0;
      for (int c = 0; c < cols; c++) sum += Math.exp(z[c] - z[best]);
      for (int c = 0; c < cols; c++) w[r * cols + c] = (float) (Math.exp(z[c] - z[best]) / sum);
      idx[r] = best;
    }
  }

  private static double mean(float[] v) {
    double s = 0;
    for (float x : v) s += x;
    return s / v.length;
  }

  private static double variance(float[] v) {
    double m = mean(v), s = 0;
    for (float x : v) s += (x - m) * (x - m);
    return s / v.length;
  }

  private static double correlation(float[] a, float[] b) {
    double ma = mean(a), mb = mean(b), sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / Math.sqrt(saa * sbb);
  }
}
