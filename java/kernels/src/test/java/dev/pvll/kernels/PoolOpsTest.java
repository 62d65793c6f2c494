package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.array;
import static dev.pvll.kernels.LayerTorch.count;
import static dev.pvll.kernels.LayerTorch.leaf;
import static dev.pvll.kernels.LayerTorch.ours;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pooling against libtorch: max_pool2d(3, stride, padding 1), avg_pool2d(3, stride, padding 1,
 * count_include_pad=false), adaptive_avg_pool2d(1). Max pool forward and backward are exact
 * (same choice of maximum, same summation order; inputs with many ties included): that check
 * alone runs libtorch in float32, where its max pooling is ATen's own selection kernel (no oneDNN;
 * a float64 reference would round each input's sum of gradients once where both float32
 * implementations round every addition). Average pools, against the float64 reference, 1e-6
 * absolute + 1e-5 relative; global average pool 1e-6 + 1e-5.
 */
class PoolOpsTest {
  static final int[][] SHAPES = {
    {2, 5, 7, 7}, {64, 16, 32, 32}, {1, 3, 1, 1}, {3, 13, 14, 14}, {2, 7, 28, 28}, {4, 9, 8, 8}, {1, 2, 9, 13},
    {2, 3, 2, 5}
  };
  private static final Tolerance AVG = new Tolerance(1e-6, 1e-5);

  static int[] pooled(int[] s, int stride) {
    return new int[] {s[0], s[1], (s[2] - 1) / stride + 1, (s[3] - 1) / stride + 1};
  }

  /** Normal values, or ReLU of values rounded to halves (many ties) when ties. */
  static float[] input(Random r, int n, boolean ties) {
    float[] x = Seeds.normal(r, n);
    if (ties) for (int i = 0; i < n; i++) x[i] = Math.max(0f, Math.round(x[i] * 2f) / 2f);
    return x;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void maxPoolMatchesLibtorchExactly(int stride) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (boolean ties : new boolean[] {false, true}) {
      for (int[] s : SHAPES) {
        int[] so = pooled(s, stride);
        float[] x = input(r, count(s), ties), dy = Seeds.normal(r, count(so));
        org.bytedeco.pytorch.Tensor tx = LayerTorch.leafFloat32(x, s);
        org.bytedeco.pytorch.Tensor ty = torch.max_pool2d(tx, new long[] {3, 3}, new long[] {stride, stride},
            new long[] {1, 1}, new long[] {1, 1}, false);
        LayerTorch.backward(ty, dy, so);
        String what = "max pool " + Arrays.toString(s) + " stride " + stride + (ties ? " with ties" : "");
        try (Scope scope = Scope.open()) {
          Tensor gx = ours(x, s), gy = Tensor.empty(Device.cpu(), so), dx = Tensor.empty(Device.cpu(), s);
          PoolOps.maxPool3x3Forward(gx, gy, stride);
          PoolOps.maxPool3x3Backward(gx, ours(dy, so), dx, stride, false);
          Tolerance.EXACT.assertClose(what + " forward", array(ty), gy.toArray(), seed);
          Tolerance.EXACT.assertClose(what + " backward", array(tx.grad()), dx.toArray(), seed);
          float[] before = Seeds.normal(r, count(s)), expected = array(tx.grad());
          for (int i = 0; i < expected.length; i++) expected[i] += before[i];
          Tensor acc = ours(before, s);
          PoolOps.maxPool3x3Backward(gx, ours(dy, so), acc, stride, true);
          Tolerance.FLOAT.assertClose(what + " backward accumulate", expected, acc.toArray(), seed);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void avgPoolMatchesLibtorch(int stride) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      int[] so = pooled(s, stride);
      float[] x = Seeds.normal(r, count(s)), dy = Seeds.normal(r, count(so));
      org.bytedeco.pytorch.Tensor tx = leaf(x, s);
      org.bytedeco.pytorch.Tensor ty = torch.avg_pool2d(tx, new long[] {3, 3}, new long[] {stride, stride},
          new long[] {1, 1}, false, false, new LongOptional());
      LayerTorch.backward(ty, dy, so);
      String what = "avg pool " + Arrays.toString(s) + " stride " + stride;
      try (Scope scope = Scope.open()) {
        Tensor gx = ours(x, s), gy = Tensor.empty(Device.cpu(), so), dx = Tensor.empty(Device.cpu(), s);
        PoolOps.avgPool3x3Forward(gx, gy, stride);
        PoolOps.avgPool3x3Backward(ours(dy, so), dx, stride, false);
        AVG.assertClose(what + " forward", array(ty), gy.toArray(), seed);
        AVG.assertClose(what + " backward", array(tx.grad()), dx.toArray(), seed);
        float[] before = Seeds.normal(r, count(s)), expected = array(tx.grad());
        for (int i = 0; i < expected.length; i++) expected[i] += before[i];
        Tensor acc = ours(before, s);
        PoolOps.avgPool3x3Backward(ours(dy, so), acc, stride, true);
        AVG.assertClose(what + " backward accumulate", expected, acc.toArray(), seed);
      }
    }
  }

  @Test
  void globalAvgPoolMatchesLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      int[] so = {s[0], s[1]};
      float[] x = Seeds.normal(r, count(s)), dy = Seeds.normal(r, count(so));
      org.bytedeco.pytorch.Tensor tx = leaf(x, s);
      org.bytedeco.pytorch.Tensor ty = torch.adaptive_avg_pool2d(tx, 1, 1).reshape(s[0], s[1]);
      LayerTorch.backward(ty, dy, so);
      String what = "global avg pool " + Arrays.toString(s);
      try (Scope scope = Scope.open()) {
        Tensor gx = ours(x, s), gy = Tensor.empty(Device.cpu(), so), dx = Tensor.empty(Device.cpu(), s);
        PoolOps.globalAvgPoolForward(gx, gy);
        PoolOps.globalAvgPoolBackward(ours(dy, so), dx, false);
        AVG.assertClose(what + " forward", array(ty), gy.toArray(), seed);
        AVG.assertClose(what + " backward", array(tx.grad()), dx.toArray(), seed);
        Tensor y4 = Tensor.empty(Device.cpu(), s[0], s[1], 1, 1);
        PoolOps.globalAvgPoolForward(gx, y4);
        Tolerance.EXACT.assertClose(what + " forward into [N,C,1,1]", gy.toArray(), y4.toArray(), seed);
      }
    }
  }

  @Test
  void misuseThrowsBeforeNativeCall() {
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.zeros(Device.cpu(), 2, 3, 7, 7), y = Tensor.zeros(Device.cpu(), 2, 3, 7, 7);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PoolOps.maxPool3x3Forward(x, y, 2));
      assertTrue(e.getMessage().contains("max_pool3x3_forward") && e.getMessage().contains("[2, 3, 4, 4]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> PoolOps.avgPool3x3Forward(x, y, 3));
      assertTrue(e.getMessage().contains("stride"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> PoolOps.maxPool3x3Backward(x, y, null, 1, false));
      assertTrue(e.getMessage().contains("dx"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> PoolOps.globalAvgPoolForward(x, Tensor.zeros(Device.cpu(), 2, 4)));
      assertTrue(e.getMessage().contains("global_avg_pool_forward"), e.getMessage());
    }
  }
}
