package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Pools and crops on CUDA against the CPU kernels: 3x3 max/average (stride 1 and 2), global
 * average, the general average pool and the crop, forward and backward, written and accumulated.
 */
class PoolCudaTest {
  static final int[][] SHAPES = {{64, 16, 32, 32}, {2, 3, 7, 9}, {1, 1, 1, 1}, {3, 2, 2, 2}, {2, 5, 33, 17}, {4, 3, 1, 6}};

  @Test
  void threeByThreePoolsMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      for (int stride : new int[] {1, 2}) {
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            int n = (int) Tensor.count(s);
            int[] o = {s[0], s[1], (s[2] - 1) / stride + 1, (s[3] - 1) / stride + 1};
            int no = (int) Tensor.count(o);
            String at = Arrays.toString(s) + " stride " + stride + (accumulate ? " accumulate" : "");
            float[] xs = Seeds.normal(r, n);
            for (int i = 0; i < n; i += 7) xs[i] = xs[Math.max(0, i - 1)]; // ties: the first maximum wins
            if (n > 40) xs[n / 3] = Float.NaN; // NaN wins in its windows
            CudaPair x = CudaPair.of(gpu, xs, s), dy = CudaPair.of(gpu, Seeds.normal(r, no), o);

            CudaPair y = CudaPair.poisoned(gpu, o);
            PoolOps.maxPool3x3Forward(x.cpu, y.cpu, stride);
            PoolOps.maxPool3x3Forward(x.gpu, y.gpu, stride);
            Tolerance.EXACT.assertClose("max pool forward " + at, nanAsSentinel(y.cpu.toArray()),
                nanAsSentinel(y.gpu.toArray()), seed);
            CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
            PoolOps.maxPool3x3Backward(x.cpu, dy.cpu, dx.cpu, stride, accumulate);
            PoolOps.maxPool3x3Backward(x.gpu, dy.gpu, dx.gpu, stride, accumulate);
            dx.assertClose(Tolerance.FLOAT, "max pool backward " + at, seed);

            CudaPair xa = CudaPair.of(gpu, Seeds.normal(r, n), s);
            y = CudaPair.poisoned(gpu, o);
            PoolOps.avgPool3x3Forward(xa.cpu, y.cpu, stride);
            PoolOps.avgPool3x3Forward(xa.gpu, y.gpu, stride);
            y.assertClose(Tolerance.FLOAT, "avg pool forward " + at, seed);
            dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
            PoolOps.avgPool3x3Backward(dy.cpu, dx.cpu, stride, accumulate);
            PoolOps.avgPool3x3Backward(dy.gpu, dx.gpu, stride, accumulate);
            dx.assertClose(Tolerance.FLOAT, "avg pool backward " + at, seed);
          }
        }
      }
    }
  }

  /** NaN replaced by a sentinel, so that NaN positions can be compared exactly. */
  static float[] nanAsSentinel(float[] v) {
    for (int i = 0; i < v.length; i++) if (Float.isNaN(v[i])) v[i] = -12345.5f;
    return v;
  }

  @Test
  void globalAveragePoolMatchesTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      for (boolean accumulate : new boolean[] {false, true}) {
        try (Scope scope = Scope.open()) {
          int n = (int) Tensor.count(s), planes = s[0] * s[1];
          String at = Arrays.toString(s) + (accumulate ? " accumulate" : "");
          CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n), s), y = CudaPair.poisoned(gpu, s[0], s[1]);
          PoolOps.globalAvgPoolForward(x.cpu, y.cpu);
          PoolOps.globalAvgPoolForward(x.gpu, y.gpu);
          y.assertClose(Tolerance.FLOAT, "global avg pool forward " + at, seed);
          CudaPair dy = CudaPair.of(gpu, Seeds.normal(r, planes), s[0], s[1], 1, 1);
          CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
          PoolOps.globalAvgPoolBackward(dy.cpu, dx.cpu, accumulate);
          PoolOps.globalAvgPoolBackward(dy.gpu, dx.gpu, accumulate);
          dx.assertClose(Tolerance.FLOAT, "global avg pool backward " + at, seed);
        }
      }
    }
  }

  @Test
  void generalAveragePoolAndCropMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] geometries = {{5, 3, 0}, {3, 2, 1}, {2, 2, 0}, {3, 1, 1}, {4, 3, 2}, {1, 1, 0}};
    int[][] shapes = {{64, 128, 8, 8}, {2, 3, 9, 11}, {1, 2, 5, 4}, {3, 1, 16, 16}};
    for (int[] s : shapes) {
      int n = (int) Tensor.count(s);
      for (int[] g : geometries) {
        int k = g[0], st = g[1], p = g[2];
        if (s[2] + 2 * p < k || s[3] + 2 * p < k) continue;
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            String at = Arrays.toString(s) + " k " + k + " s " + st + " p " + p + (accumulate ? " accumulate" : "");
            int[] o = {s[0], s[1], SpatialOps.poolOutputSize(s[2], k, st, p), SpatialOps.poolOutputSize(s[3], k, st, p)};
            CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n), s), y = CudaPair.poisoned(gpu, o);
            SpatialOps.avgPoolForward(x.cpu, y.cpu, k, st, p);
            SpatialOps.avgPoolForward(x.gpu, y.gpu, k, st, p);
            y.assertClose(Tolerance.FLOAT, "avg pool forward " + at, seed);
            CudaPair dy = CudaPair.of(gpu, Seeds.normal(r, (int) Tensor.count(o)), o);
            CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
            SpatialOps.avgPoolBackward(dy.cpu, dx.cpu, k, st, p, accumulate);
            SpatialOps.avgPoolBackward(dy.gpu, dx.gpu, k, st, p, accumulate);
            dx.assertClose(Tolerance.FLOAT, "avg pool backward " + at, seed);
          }
        }
      }
      for (int[] window : new int[][] {{1, 1, s[2] - 1, s[3] - 1}, {0, 0, s[2], s[3]}, {s[2] / 2, 1, s[2] - s[2] / 2, s[3] - 1}}) {
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            int top = window[0], left = window[1];
            int[] o = {s[0], s[1], window[2], window[3]};
            String at = Arrays.toString(s) + " crop " + Arrays.toString(window) + (accumulate ? " accumulate" : "");
            CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n), s), y = CudaPair.poisoned(gpu, o);
            SpatialOps.cropForward(x.cpu, y.cpu, top, left);
            SpatialOps.cropForward(x.gpu, y.gpu, top, left);
            y.assertClose(Tolerance.EXACT, "crop forward " + at, seed);
            CudaPair dy = CudaPair.of(gpu, Seeds.normal(r, (int) Tensor.count(o)), o);
            CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
            SpatialOps.cropBackward(dy.cpu, dx.cpu, top, left, accumulate);
            SpatialOps.cropBackward(dy.gpu, dx.gpu, top, left, accumulate);
            dx.assertClose(Tolerance.EXACT, "crop backward " + at, seed);
          }
        }
      }
    }
  }
}
