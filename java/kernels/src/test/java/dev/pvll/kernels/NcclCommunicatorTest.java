package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The NCCL binding where it cannot run: its argument checks, and a clear error naming the missing
 * library (or, where NCCL exists, a version and an id). The GPU cases are NcclCommunicatorCudaTest.
 */
class NcclCommunicatorTest {
  @Test
  void aMissingNcclIsAClearErrorAndAPresentOneGivesAnId() {
    try {
      int version = NcclCommunicator.version();
      assertTrue(version >= 21400, "NCCL version code " + version);
      byte[] id = NcclCommunicator.uniqueId();
      assertEquals(NcclCommunicator.ID_BYTES, id.length);
      boolean anyNonZero = false;
      for (byte b : id) anyNonZero |= b != 0;
      assertTrue(anyNonZero, "an all-zero NCCL id");
    } catch (KernelException e) {
      if (e.status() == KernelException.NO_CUDA) {
        assertTrue(e.getMessage().contains("nvcc"), e.getMessage());  // the stub build's reason
        return;
      }
      assertEquals(KernelException.UNAVAILABLE, e.status(), e.getMessage());
      assertTrue(e.getMessage().contains("NCCL is not available: libnccl.so.2"), e.getMessage());
      assertTrue(e.getMessage().contains("install NCCL 2.14+"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
  }

  @Test
  void argumentsAreCheckedBeforeAnyNativeCall() {
    byte[] id = new byte[NcclCommunicator.ID_BYTES];
    CollectivesConfig config = CollectivesConfig.DEFAULT;
    assertThrows(IllegalArgumentException.class, () -> NcclCommunicator.create(Device.cpu(), 0, 1, id, config));
    assertThrows(IllegalArgumentException.class, () -> NcclCommunicator.create(Device.cuda(0), 2, 2, id, config));
    assertThrows(IllegalArgumentException.class, () -> NcclCommunicator.create(Device.cuda(0), 0, 2, new byte[5], config));
    assertThrows(IllegalArgumentException.class, () -> NcclCommunicator.create(Device.cuda(0), 0, 2, id, null));
  }
}
