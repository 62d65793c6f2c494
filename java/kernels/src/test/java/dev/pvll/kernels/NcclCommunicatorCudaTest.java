package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A one-rank NCCL communicator on cuda:0 (NCCL refuses two ranks on one GPU, so this is what one
 * GPU can check in one process): init from a fresh id, all-reduce of floats and doubles and a
 * broadcast on the thread's stream (identities for one rank), a wait with a deadline, an abort
 * after which calls fail at once, destroy. On the emulated device (the default of mvn test) it
 * runs against the emulated NCCL that the build puts beside the emulated library, and never
 * skips; on a real GPU it is skipped where libnccl.so.2 is missing. Two ranks as threads:
 * kernels/dev/emu/tests/check_nccl.cpp (ctest).
 */
class NcclCommunicatorCudaTest {
  @Test
  void aOneRankCommunicatorRunsEveryCall() {
    Device gpu = CudaPair.gpu();
    byte[] id;
    try {
      id = NcclCommunicator.uniqueId();
    } catch (KernelException e) {
      if (CudaStatus.probe().emulated()) throw e;  // the emulated device brings its own NCCL
      Assumptions.assumeTrue(false, "no NCCL here: " + e.getMessage());
      return;
    }
    if (CudaStatus.probe().emulated()) assertEquals(22903, NcclCommunicator.version(), "the emulated NCCL");
    CollectivesConfig config = new CollectivesConfig(Duration.ofSeconds(30));
    try (Scope scope = Scope.open(); NcclCommunicator nccl = NcclCommunicator.create(gpu, 0, 1, id, config);
        NativeDoubles d = NativeDoubles.of(gpu, 1e300, -0.25)) {
      Tensor t = Tensor.of(gpu, new float[] {1.5f, -2f, 3f}, 3);
      nccl.allReduceSum(t);
      nccl.broadcast(t, 0);
      nccl.allReduceSum(d);
      nccl.await();
      assertArrayEquals(new float[] {1.5f, -2f, 3f}, t.toArray());
      assertArrayEquals(new double[] {1e300, -0.25}, d.toArray());
      assertThrows(IllegalArgumentException.class, () -> nccl.broadcast(t, 1));
      nccl.abort();
      KernelException e = assertThrows(KernelException.class, () -> nccl.allReduceSum(t));
      assertEquals(KernelException.COLLECTIVE, e.status());
      assertTrue(e.getMessage().contains("unusable after an earlier failure"), e.getMessage());
    }
  }
}
