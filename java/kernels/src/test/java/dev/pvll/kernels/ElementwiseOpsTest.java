package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import dev.pvll.testing.Torch;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ReLU and scale-add on every device, against libtorch. Exact: both are single roundings. */
class ElementwiseOpsTest {
  private static final int[][] SHAPES = {{1, 3, 7, 7}, {64, 16, 32, 32}, {5}, {2, 9, 13, 11}};

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void reluForwardAndBackwardMatchLibtorch(Device device) {
    TestDevices.assumePresent(device);
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] shape : SHAPES) {
      int n = (int) Tensor.count(shape);
      float[] x = Seeds.normal(r, n), dy = Seeds.normal(r, n);
      long[] ts = java.util.Arrays.stream(shape).asLongStream().toArray();
      org.bytedeco.pytorch.Tensor tx = Torch.leaf(x, ts);
      org.bytedeco.pytorch.Tensor ty = torch.relu(tx);
      Torch.backward(ty, Torch.tensor(dy, ts));
      try (Scope s = Scope.open()) {
        Tensor gx = Tensor.of(device, x, shape), gdy = Tensor.of(device, dy, shape);
        Tensor y = ElementwiseOps.relu(gx);
        Tensor dx = Tensor.emptyLike(gx);
        ElementwiseOps.reluBackward(gx, gdy, dx);
        Tolerance.EXACT.assertClose("relu forward " + device, Torch.array(ty), y.toArray(), seed);
        Tolerance.EXACT.assertClose("relu backward " + device, Torch.array(tx.grad()), dx.toArray(), seed);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void reluKeepsNaNAndInfinitiesLikeLibtorch(Device device) {
    TestDevices.assumePresent(device);
    float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 2.5f, -3f, Float.NaN};
    float[] dy = {1.5f, 2f, 3f, 4f, 5f, 6f, 7f, -8f};
    org.bytedeco.pytorch.Tensor tx = Torch.leaf(x, x.length);
    org.bytedeco.pytorch.Tensor ty = torch.relu(tx);
    Torch.backward(ty, Torch.tensor(dy, x.length));
    float[] expectedY = Torch.array(ty), expectedDx = Torch.array(tx.grad());
    assertTrue(Float.isNaN(expectedY[0]) && expectedDx[0] == 1.5f, "libtorch: relu(NaN) = NaN, its gradient passes dy");
    try (Scope s = Scope.open()) {
      Tensor gx = Tensor.of(device, x, x.length), gdy = Tensor.of(device, dy, x.length);
      float[] y = ElementwiseOps.relu(gx).toArray();
      Tensor dx = Tensor.emptyLike(gx);
      ElementwiseOps.reluBackward(gx, gdy, dx);
      float[] g = dx.toArray();
      for (int i = 0; i < x.length; i++) {
        assertTrue(Float.compare(expectedY[i] + 0f, y[i] + 0f) == 0, device + " relu(" + x[i] + "): libtorch " + expectedY[i] + ", ours " + y[i]);
        assertTrue(Float.compare(expectedDx[i] + 0f, g[i] + 0f) == 0, device + " relu'(" + x[i] + ") dy: libtorch " + expectedDx[i] + ", ours " + g[i]);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void scaleAddMatchesLibtorch(Device device) {
    TestDevices.assumePresent(device);
    long seed = Seeds.next();
    Random r = new Random(seed);
    int n = 64 * 16 * 33;
    float[] x = Seeds.normal(r, n), y = Seeds.normal(r, n);
    float alpha = (float) r.nextGaussian();
    float[] expected = Torch.array(torch.add(Torch.tensor(y, n), Torch.tensor(x, n).mul(new org.bytedeco.pytorch.Scalar(alpha))));
    try (Scope s = Scope.open()) {
      Tensor gx = Tensor.of(device, x, n), gy = Tensor.of(device, y, n);
      ElementwiseOps.scaleAdd(gx, alpha, gy, true);
      Tolerance.FLOAT.assertClose("scale_add accumulate " + device, expected, gy.toArray(), seed);
      ElementwiseOps.scaleAdd(gx, alpha, gy, false);
      float[] scaled = new float[n];
      for (int i = 0; i < n; i++) scaled[i] = alpha * x[i];
      Tolerance.EXACT.assertClose("scale_add overwrite " + device, scaled, gy.toArray(), seed);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void misuseThrowsBeforeNativeCall(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.zeros(device, 2, 3), b = Tensor.zeros(device, 3, 2);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ElementwiseOps.reluForward(a, b));
      assertEquals(true, e.getMessage().contains("relu_forward"));
      Tensor c = Tensor.zeros(device, 2, 3);
      c.close();
      assertThrows(IllegalStateException.class, () -> ElementwiseOps.reluForward(a, c));
    }
  }
}
