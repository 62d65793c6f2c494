package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.TestDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TensorTest {
  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void roundTripsThroughTheDevice(Device device) {
    TestDevices.assumePresent(device);
    float[] data = {1, -2, 3, 4.5f, 5, 6};
    try (Tensor t = Tensor.of(device, data, 2, 3); Tensor back = t.to(Device.cpu())) {
      assertArrayEquals(data, t.toArray());
      assertArrayEquals(data, back.toArray());
      assertEquals(2, t.dim(0));
      assertEquals(3, t.dim(-1));
    }
  }

  @Test
  void closeTwiceIsHarmlessAndUseAfterCloseThrows() {
    Tensor t = Tensor.zeros(Device.cpu(), 4);
    t.close();
    t.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
    assertTrue(e.getMessage().contains("closed"));
  }

  @Test
  void viewsDieWithTheirOwner() {
    Tensor owner = Tensor.of(Device.cpu(), new float[] {0, 1, 2, 3, 4, 5}, 6);
    Tensor view = owner.view(2, 2, 2);
    assertArrayEquals(new float[] {2, 3, 4, 5}, view.toArray());
    view.close(); // frees nothing
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, owner.toArray());
    Tensor view2 = owner.view(0, 3);
    owner.close();
    assertTrue(view2.isClosed());
    assertThrows(IllegalStateException.class, view2::toArray);
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(Device.cpu(), 4).view(2, 3));
  }

  @Test
  void scopesFreeTemporariesAndKeepWhatIsKept() {
    Tensor kept;
    Tensor temp;
    try (Scope outer = Scope.open()) {
      try (Scope inner = Scope.open()) {
        temp = Tensor.zeros(Device.cpu(), 3);
        kept = inner.keep(Tensor.zeros(Device.cpu(), 3));
        assertEquals(1, inner.ownedCount());
      }
      assertTrue(temp.isClosed());
      assertFalse(kept.isClosed());
      assertEquals(1, outer.ownedCount());
    }
    assertTrue(kept.isClosed());
  }

  @Test
  void badShapesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(Device.cpu(), 1, 2, 3, 4, 5));
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(Device.cpu(), -1));
    assertThrows(IllegalArgumentException.class, () -> Tensor.of(Device.cpu(), new float[3], 2, 2));
  }

  @Test
  void deviceParsing() {
    assertEquals(Device.cpu(), Device.parse("cpu"));
    assertEquals(Device.cuda(1), Device.parse("cuda:1"));
    assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
    assertEquals(Device.cpu(), Device.available().get(0));
  }

  @Test
  void detectionNeverThrowsAndExplainsAMissingGpu() {
    CudaStatus s = CudaStatus.probe();
    if (!s.available()) assertFalse(s.reason() == null || s.reason().isBlank());
    assertFalse(CpuInfo.nativeIsa().isBlank());
  }
}
