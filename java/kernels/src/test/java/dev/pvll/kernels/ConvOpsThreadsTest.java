package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pvll.testing.Seeds;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each conv op with 1 and with 2 threads gives bit-identical results (work is cut by shape
 * alone and reductions add per-chunk partials in chunk order). Shapes are large enough to
 * make many chunks.
 */
class ConvOpsThreadsTest {
  @AfterEach
  void restoreThreads() {
    CpuInfo.setThreads(2);
  }

  /** Runs op with 1 thread and with 2 threads and compares every output bit for bit. */
  private static void sameBitsForAnyThreadCount(String what, Function<Random, float[][]> op) {
    long seed = Seeds.next();
    CpuInfo.setThreads(1);
    float[][] one = op.apply(new Random(seed));
    CpuInfo.setThreads(2);
    float[][] two = op.apply(new Random(seed));
    for (int i = 0; i < one.length; i++) {
      assertArrayEquals(one[i], two[i], what + " output " + i + " differs between 1 and 2 threads, seed " + seed);
    }
  }

  @Test
  void depthwiseIsDeterministic() {
    for (int k : new int[] {3, 5})
      for (int stride : new int[] {1, 2})
        for (int dilation : new int[] {1, 2}) {
          int kk = k, s = stride, d = dilation;
          sameBitsForAnyThreadCount("depthwise k" + k + " s" + s + " d" + d, r -> {
            try (Scope scope = Scope.open()) {
              Tensor x = random(r, 6, 16, 15, 15), w = random(r, 16, 1, kk, kk);
              int o = (15 - 1) / s + 1;
              Tensor dy = random(r, 6, 16, o, o);
              Tensor y = ConvOps.depthwise(x, w, s, d);
              Tensor dx = random(r, 6, 16, 15, 15), dw = random(r, 16, 1, kk, kk);
              ConvOps.depthwiseBackwardInput(dy, w, dx, s, d, true);
              ConvOps.depthwiseBackwardWeight(x, dy, dw, s, d, true);
              return new float[][] {y.toArray(), dx.toArray(), dw.toArray()};
            }
          });
        }
  }

  @Test
  void pointwiseIsDeterministic() {
    sameBitsForAnyThreadCount("pointwise", r -> {
      try (Scope scope = Scope.open()) {
        Tensor x = random(r, 10, 32, 14, 14), w = random(r, 24, 32, 1, 1), dy = random(r, 10, 24, 14, 14);
        Tensor y = ConvOps.pointwise(x, w);
        Tensor dx = random(r, 10, 32, 14, 14), dw = random(r, 24, 32, 1, 1);
        ConvOps.pointwiseBackwardInput(dy, w, dx, true);
        ConvOps.pointwiseBackwardWeight(x, dy, dw, true);
        return new float[][] {y.toArray(), dx.toArray(), dw.toArray()};
      }
    });
  }

  @Test
  void conv2dIsDeterministic() {
    int[][] configs = {{3, 3, 1, 1, 48}, {1, 2, 0, 1, 8}, {2, 1, 0, 1, 24}, {5, 2, 2, 2, 12}};
    for (int[] c : configs) {
      int k = c[0], s = c[1], p = c[2], d = c[3], cout = c[4];
      sameBitsForAnyThreadCount("conv2d k" + k + " s" + s + " p" + p + " d" + d, r -> {
        try (Scope scope = Scope.open()) {
          Tensor x = random(r, 9, 16, 17, 17), w = random(r, cout, 16, k, k), b = random(r, cout);
          Tensor y = ConvOps.conv2d(x, w, b, s, p, d);
          Tensor dy = random(r, y.shape());
          Tensor dx = random(r, 9, 16, 17, 17), dw = random(r, cout, 16, k, k), db = random(r, cout);
          ConvOps.conv2dBackwardInput(dy, w, dx, s, p, d, true);
          ConvOps.conv2dBackwardWeight(x, dy, dw, db, s, p, d, true);
          return new float[][] {y.toArray(), dx.toArray(), dw.toArray(), db.toArray()};
        }
      });
    }
  }

  private static Tensor random(Random r, int... shape) {
    return Tensor.of(Device.cpu(), Seeds.normal(r, (int) Tensor.count(shape)), shape);
  }
}
