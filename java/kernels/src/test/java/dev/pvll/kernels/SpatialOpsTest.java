package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The CPU crops: values, and the argument checks that run before the native call. */
class SpatialOpsTest {
  @Test
  void cropForwardAndBackward() {
    Device cpu = Device.cpu();
    float[] data = new float[16];
    for (int i = 0; i < data.length; i++) data[i] = i;
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(cpu, data, 1, 1, 4, 4);
      Tensor y = Tensor.empty(cpu, 1, 1, 2, 2);
      SpatialOps.cropForward(x, y, 1, 2);
      assertArrayEquals(new float[] {6, 7, 10, 11}, y.toArray());
      Tensor dx = Tensor.full(cpu, 5f, 1, 1, 4, 4);
      SpatialOps.cropBackward(y, dx, 1, 2, false);
      float[] expected = new float[16];
      expected[6] = 6;
      expected[7] = 7;
      expected[10] = 10;
      expected[11] = 11;
      assertArrayEquals(expected, dx.toArray());
    }
  }

  @Test
  void cropRejectsAWindowOfTheWrongRankBeforeTheNativeCall() {
    Device cpu = Device.cpu();
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.zeros(cpu, 1, 1, 4, 4);
      Tensor flat = Tensor.zeros(cpu, 4);
      assertThrows(IllegalArgumentException.class, () -> SpatialOps.cropForward(x, flat, 0, 0));
      assertThrows(IllegalArgumentException.class, () -> SpatialOps.cropBackward(flat, x, 0, 0, false));
      Tensor big = Tensor.zeros(cpu, 1, 1, 5, 4);
      assertThrows(IllegalArgumentException.class, () -> SpatialOps.cropForward(x, big, 0, 0));
    }
  }
}
