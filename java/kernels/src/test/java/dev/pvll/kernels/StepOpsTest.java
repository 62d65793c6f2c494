package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ops that read their scalars from tensors against the ops that take them as arguments. */
class StepOpsTest {
  static java.util.stream.Stream<Device> devices() {
    return TestDevices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void scaleAddByEqualsScaleAdd(Device d) {
    TestDevices.assumePresent(d);
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (Scope s = Scope.open()) {
      int n = 1000;
      float[] x = Seeds.normal(r, n), y = Seeds.normal(r, n);
      Tensor alpha = Tensor.of(d, new float[] {0.5f, -1.75f, 3f}, 3);
      for (boolean acc : new boolean[] {false, true}) {
        Tensor expected = Tensor.of(d, y, n), got = Tensor.of(d, y, n), xs = Tensor.of(d, x, n);
        ElementwiseOps.scaleAdd(xs, -1.75f, expected, acc);
        StepOps.scaleAddBy(xs, alpha, 1, got, acc);
        assertArrayEquals(expected.toArray(), got.toArray(), "accumulate " + acc + ", seed " + seed);
      }
      Tensor xs = Tensor.zeros(d, n), ys = Tensor.zeros(d, n);
      assertThrows(IndexOutOfBoundsException.class, () -> StepOps.scaleAddBy(xs, alpha, 3, ys, false));
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void sgdStepByEqualsSgdStepAndItsGateSkipsIt(Device d) {
    TestDevices.assumePresent(d);
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (Scope s = Scope.open()) {
      int n = 5000;
      float[] p = Seeds.normal(r, n), g = Seeds.normal(r, n), m = Seeds.normal(r, n);
      Tensor pe = Tensor.of(d, p, n), me = Tensor.of(d, m, n), pg = Tensor.of(d, p, n), mg = Tensor.of(d, m, n);
      Tensor grad = Tensor.of(d, g, n);
      Tensor control = Tensor.of(d, new float[] {0, 0.025f, 1, 0}, 4);
      OptimOps.sgdStep(pe, grad, me, 0.025f, 0.9f, 3e-4f);
      StepOps.sgdStepBy(pg, grad, mg, control, 0.9f, 3e-4f);
      assertArrayEquals(pe.toArray(), pg.toArray(), "param, seed " + seed);
      assertArrayEquals(me.toArray(), mg.toArray(), "momentum, seed " + seed);
      control.copyFrom(new float[] {0, 0.025f, 0, 0});
      StepOps.sgdStepBy(pg, grad, mg, control, 0.9f, 3e-4f);
      assertArrayEquals(pe.toArray(), pg.toArray(), "gate 0 leaves the parameters");
      assertArrayEquals(me.toArray(), mg.toArray(), "gate 0 leaves the momentum");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void recordStepLogsCountsAndGates(Device d) {
    TestDevices.assumePresent(d);
    try (Scope s = Scope.open()) {
      Tensor loss = Tensor.of(d, new float[] {2.5f}, 1), correct = Tensor.of(d, new float[] {7}, 1);
      Tensor control = Tensor.of(d, new float[] {0, 0.1f, 0, 0}, 4), log = Tensor.full(d, -9f, 2, 2);
      Tensor lrs = Tensor.of(d, new float[] {0.3f, 0.2f}, 2);
      StepOps.recordStep(loss, correct, null, control, log);
      assertArrayEquals(new float[] {1, 0.1f, 1, 0}, control.toArray());
      loss.copyFrom(new float[] {Float.POSITIVE_INFINITY});
      StepOps.recordStep(loss, correct, lrs, control, log);
      assertArrayEquals(new float[] {2, 0.2f, 0, 0}, control.toArray(), "a non-finite loss closes the gate");
      loss.copyFrom(new float[] {1f});
      StepOps.recordStep(loss, correct, lrs, control, log);
      assertArrayEquals(new float[] {3, 0.2f, 0, 0}, control.toArray(), "past the log's end: counted, gate closed");
      assertArrayEquals(new float[] {2.5f, 7, Float.POSITIVE_INFINITY, 7}, log.toArray());
      Tensor wide = Tensor.zeros(d, 2, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> StepOps.recordStep(loss, correct, null, control, wide));
      assertTrue(e.getMessage().contains("log"), e.getMessage());
      Tensor empty = Tensor.zeros(d, 0);
      e = assertThrows(IllegalArgumentException.class, () -> StepOps.recordStep(empty, correct, null, control, log));
      assertTrue(e.getMessage().contains("loss"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> StepOps.recordStep(loss, empty, null, control, log));
      assertTrue(e.getMessage().contains("correct"), e.getMessage());
      assertArrayEquals(new float[] {3, 0.2f, 0, 0}, control.toArray(), "a rejected call changes nothing");
    }
  }
}
