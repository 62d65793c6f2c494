package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.TestDevices;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An output that shares memory with an input (or another output) is refused before any native
 * call, naming both; the in-place uses an op allows (batch norm's y = x, dx = dy) still run.
 */
class OverlapChecksTest {
  /** Runs op and expects the overlap error naming both arguments. */
  static void refused(String out, String other, Executable op) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op);
    assertTrue(e.getMessage().contains("output " + out + " overlaps " + other), e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void convolutionsRefuseOverlappingOutputs(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      // one buffer holding x [1,2,6,6] and, right after it, room for a y of the same shape
      Tensor buf = Tensor.empty(device, 2 * 72);
      Tensor x = buf.view(0, 1, 2, 6, 6), w = Tensor.empty(device, 2, 2, 3, 3), b = Tensor.empty(device, 2);
      buf.fill(0.5f);
      w.fill(0.1f);
      b.fill(0f);
      Tensor yOverX = buf.view(36, 1, 2, 6, 6); // starts halfway into x
      refused("y", "x", () -> ConvOps.conv2dForward(x, w, b, yOverX, 1, 1, 1));
      refused("y", "w", () -> ConvOps.conv2dForward(x, w, b, w.view(0, 1, 2, 2, 2), 1, 0, 2));
      assertDoesNotThrow(() -> ConvOps.conv2dForward(x, w, b, buf.view(72, 1, 2, 6, 6), 1, 1, 1), "adjacent, not overlapping");
      Tensor dy = Tensor.empty(device, 1, 2, 6, 6);
      dy.fill(1f);
      refused("dx", "dy", () -> ConvOps.conv2dBackwardInput(dy, w, dy, 1, 1, 1, false));
      refused("dw", "x", () -> ConvOps.conv2dBackwardWeight(x, dy, x.view(0, 2, 2, 3, 3), null, 1, 1, 1, false));
      refused("dbias", "dw", () -> ConvOps.conv2dBackwardWeight(x, dy, w, w.view(0, 2), 1, 1, 1, false));
      Tensor dw = Tensor.empty(device, 2, 1, 3, 3);
      refused("y", "x", () -> ConvOps.depthwiseForward(x, dw, x, 1, 1));
      refused("dx", "dy", () -> ConvOps.depthwiseBackwardInput(dy, dw, dy, 1, 1, true));
      refused("dw", "dy", () -> ConvOps.depthwiseBackwardWeight(x, dy, dy.view(0, 2, 1, 3, 3), 1, 1, false));
      Tensor pw = Tensor.empty(device, 2, 2, 1, 1);
      refused("y", "x", () -> ConvOps.pointwiseForward(x, pw, x));
      refused("dx", "w", () -> ConvOps.pointwiseBackwardInput(dy.view(0, 1, 2, 1, 2), pw, pw.reshape(1, 2, 1, 2), false));
      refused("dw", "dy", () -> ConvOps.pointwiseBackwardWeight(x, dy, dy.view(0, 2, 2, 1, 1), false));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void linearPoolAndSpatialOpsRefuseOverlappingOutputs(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.empty(device, 4, 3), w = Tensor.empty(device, 3, 3), b = Tensor.empty(device, 3);
      x.fill(1f);
      w.fill(1f);
      refused("y", "x", () -> LinearOps.linearForward(x, w, b, x));
      Tensor shared = Tensor.empty(device, 15); // b at its start, inside y
      refused("y", "b", () -> LinearOps.linearForward(x, w, shared.view(0, 3), shared.view(0, 4, 3)));
      Tensor dy = Tensor.empty(device, 4, 3), dx = Tensor.empty(device, 4, 3);
      refused("dw", "w", () -> LinearOps.linearBackward(x, w, dy, dx, w, null, false));
      Tensor dw = Tensor.empty(device, 3, 3);
      refused("db", "dw", () -> LinearOps.linearBackward(x, w, dy, dx, dw, dw.view(0, 3), false));
      Tensor map = Tensor.empty(device, 1, 2, 5, 5);
      map.fill(1f);
      refused("y", "x", () -> PoolOps.maxPool3x3Forward(map, map, 1));
      refused("dx", "dy", () -> PoolOps.maxPool3x3Backward(Tensor.empty(device, 1, 2, 5, 5), map, map, 1, true));
      refused("y", "x", () -> PoolOps.avgPool3x3Forward(map, map, 1));
      refused("dx", "dy", () -> PoolOps.avgPool3x3Backward(map, map, 1, false));
      refused("y", "x", () -> PoolOps.globalAvgPoolForward(map, map.view(0, 1, 2)));
      refused("dx", "dy", () -> PoolOps.globalAvgPoolBackward(map.view(3, 1, 2), map, false));
      refused("y", "x", () -> SpatialOps.avgPoolForward(map, map.view(0, 1, 2, 2, 2), 3, 2, 0));
      refused("dx", "dy", () -> SpatialOps.avgPoolBackward(map.view(0, 1, 2, 2, 2), map, 3, 2, 0, false));
      refused("y", "x", () -> SpatialOps.cropForward(map, map.view(1, 1, 2, 4, 4), 1, 1));
      refused("dx", "dy", () -> SpatialOps.cropBackward(map.view(1, 1, 2, 4, 4), map, 1, 1, false));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void batchNormAllowsItsInPlaceUsesAndRefusesOtherOverlaps(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.empty(device, 2, 3, 4, 4), gamma = Tensor.empty(device, 3), beta = Tensor.empty(device, 3);
      Tensor mean = Tensor.empty(device, 3), invStd = Tensor.empty(device, 3);
      gamma.fill(1f);
      beta.fill(0f);
      float[] data = new float[96];
      for (int i = 0; i < data.length; i++) data[i] = (i * 37 % 11) / 5f;
      Tensor xs = Tensor.of(device, data, 2, 3, 4, 4);
      assertDoesNotThrow(() -> NormOps.batchNormTrainForward(xs, gamma, beta, xs, mean, invStd, null, null, 0.1f, 1e-5f), "y = x");
      Tensor two = Tensor.empty(device, 2 * data.length); // x, and a y one element further on
      refused("y", "x", () -> NormOps.batchNormTrainForward(two.view(0, 2, 3, 4, 4), gamma, beta, two.view(1, 2, 3, 4, 4), mean, invStd,
          null, null, 0.1f, 1e-5f));
      refused("saveInvStd", "saveMean", () -> NormOps.batchNormTrainForward(xs, gamma, beta, x, mean, mean, null, null, 0.1f, 1e-5f));
      Tensor dy = Tensor.of(device, data, 2, 3, 4, 4);
      assertDoesNotThrow(() -> NormOps.batchNormBackward(xs, dy, mean, invStd, gamma, dy, null, null, false), "dx = dy");
      refused("dx", "dy", () -> NormOps.batchNormBackward(xs, dy, mean, invStd, gamma, dy, null, null, true));
      refused("dgamma", "gamma", () -> NormOps.batchNormBackward(xs, dy, mean, invStd, gamma, x, gamma, null, false));
      Tensor stats = Tensor.empty(device, data.length); // runningMean at its start, inside y
      refused("y", "runningMean", () -> NormOps.batchNormInferenceForward(xs, gamma, beta, stats.view(0, 3), invStd,
          stats.view(0, 2, 3, 4, 4), 1e-5f));
    }
  }
}
