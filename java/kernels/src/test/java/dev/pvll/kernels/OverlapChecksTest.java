package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.TestDevices;
import java.util.List;
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

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void elementwiseAndTensorOpsAllowExactInPlaceAndRefusePartialOverlaps(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      Tensor buf = Tensor.empty(device, 16);
      buf.fill(1f);
      Tensor x = buf.view(0, 8), shifted = buf.view(4, 8), after = buf.view(8, 8);
      assertDoesNotThrow(() -> ElementwiseOps.reluForward(x, x), "relu y = x");
      assertDoesNotThrow(() -> ElementwiseOps.reluForward(x, after), "adjacent, not overlapping");
      refused("y", "x", () -> ElementwiseOps.reluForward(x, shifted));
      Tensor dy = Tensor.empty(device, 8);
      dy.fill(1f);
      assertDoesNotThrow(() -> ElementwiseOps.reluBackward(x, dy, dy), "relu dx = dy");
      refused("dx", "dy", () -> ElementwiseOps.reluBackward(after, x, shifted));
      refused("dx", "x", () -> ElementwiseOps.reluBackward(x, dy, shifted));
      assertDoesNotThrow(() -> ElementwiseOps.scaleAdd(x, 2f, x, true), "scale_add y = x");
      refused("y", "x", () -> ElementwiseOps.scaleAdd(x, 2f, shifted, false));
      assertDoesNotThrow(() -> TensorOps.add(x, dy, x), "add y = a");
      refused("y", "b", () -> TensorOps.add(dy, x, shifted));
      Tensor mask = Tensor.of(device, new float[] {1f, 0f}, 2);
      Tensor rows = buf.view(0, 2, 4);
      assertDoesNotThrow(() -> TensorOps.dropPathForward(rows, mask, rows, 0.5f), "drop-path y = x");
      refused("y", "x", () -> TensorOps.dropPathForward(rows, mask, buf.view(1, 2, 4), 0.5f));
      Tensor dyRows = Tensor.empty(device, 2, 1);
      refused("dx", "mask", () -> TensorOps.dropPathBackward(dyRows, mask, mask.view(0, 2, 1), 1f, false));
      Tensor map = Tensor.empty(device, 1, 4, 2, 2);
      map.fill(1f);
      Tensor a = map.view(0, 1, 2, 2, 2), b = map.view(8, 1, 2, 2, 2);
      refused("y", "xs[1]", () -> TensorOps.concatChannels(List.of(Tensor.empty(device, 1, 2, 2, 2), b), map));
      refused("dxs[0]", "dy", () -> TensorOps.splitChannels(map, List.of(a, Tensor.empty(device, 1, 2, 2, 2)), false));
      Tensor parts = Tensor.empty(device, 12);
      refused("dxs[1]", "dxs[0]", () -> TensorOps.splitChannels(map, List.of(parts.view(0, 1, 2, 2, 2),
          parts.view(4, 1, 2, 2, 2)), false));
      Tensor other = Tensor.empty(device, 8);
      other.copyFrom(x);
      assertDoesNotThrow(() -> x.copyFrom(x), "a copy onto itself");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> shifted.copyFrom(x));
      assertTrue(e.getMessage().contains("output target overlaps src"), e.getMessage());
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void optimiserStepAndLossOpsRefuseOverlaps(Device device) {
    TestDevices.assumePresent(device);
    try (Scope s = Scope.open()) {
      Tensor state = Tensor.empty(device, 12);
      state.fill(0f);
      Tensor param = state.view(0, 4), grad = Tensor.empty(device, 4), m = state.view(4, 4), v = state.view(8, 4);
      grad.fill(1f);
      assertDoesNotThrow(() -> OptimOps.sgdStep(param, grad, m, 0.1f, 0.9f, 0f), "adjacent buffers");
      refused("param", "grad", () -> OptimOps.sgdStep(param, param, m, 0.1f, 0.9f, 0f));
      refused("momentumBuf", "param", () -> OptimOps.sgdStep(param, grad, state.view(2, 4), 0.1f, 0.9f, 0f));
      assertDoesNotThrow(() -> OptimOps.adamStep(param, grad, m, v, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f), "adjacent buffers");
      refused("v", "m", () -> OptimOps.adamStep(param, grad, m, m, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f));
      refused("grads[1]", "grads[0]", () -> OptimOps.clipGradNorm(1f, state.view(0, 6), state.view(4, 6)));
      refused("grads[0]", "normOut", () -> OptimOps.clipGradNormAsync(1f, grad.view(0, 2), grad));
      Tensor control = Tensor.of(device, new float[] {0f, 0.1f, 1f, 0f}, 4);
      refused("param", "control", () -> StepOps.sgdStepBy(control, grad, null, control, 0f, 0f));
      refused("y", "alpha", () -> StepOps.scaleAddBy(grad, param, 0, param, false));
      assertDoesNotThrow(() -> StepOps.scaleAddBy(grad, param, 0, grad, true), "scale_add_by y = x");
      Tensor loss = Tensor.of(device, new float[] {0.5f}, 1), log = Tensor.empty(device, 2, 2);
      Tensor lossAndLog = Tensor.empty(device, 2); // a log [1, 2] whose first row holds the loss
      Tensor lossInLog = lossAndLog.view(0, 1);
      refused("log", "loss", () -> StepOps.recordStep(lossInLog, loss, null, control, lossAndLog.view(0, 1, 2)));
      Tensor logits = Tensor.of(device, new float[] {1f, 2f, 3f, 4f}, 2, 2);
      Tensor labels = Tensor.of(device, new float[] {0f, 1f}, 2);
      Tensor out = Tensor.empty(device, 1), correct = Tensor.empty(device, 1);
      assertDoesNotThrow(() -> LossOps.softmaxCrossEntropy(logits, labels, out, correct, Tensor.empty(device, 2, 2)));
      refused("dlogits", "logits", () -> LossOps.softmaxCrossEntropy(logits, labels, out, correct, logits));
      refused("correctOut", "lossOut", () -> LossOps.softmaxCrossEntropy(logits, labels, out, out, null));
      refused("lossOut", "labels", () -> LossOps.softmaxCrossEntropy(logits, labels, labels.view(0, 1), correct, null));
      assertDoesNotThrow(() -> StepOps.recordStep(loss, correct, null, control, log));
    }
  }
}
