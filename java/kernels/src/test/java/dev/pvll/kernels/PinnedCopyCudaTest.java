package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pinned host buffers copied to the GPU on a second stream, ordered with events. */
class PinnedCopyCudaTest {
  @Test
  void asyncCopiesArriveBeforeTheOpsThatWaitForThem() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int n = 64 * 3 * 32 * 32 + 64;
    try (Scope scope = Scope.open();
        CudaStream copies = CudaStream.create(gpu);
        PinnedBuffer a = PinnedBuffer.allocate(n);
        PinnedBuffer b = PinnedBuffer.allocate(n);
        CudaEvent doneA = CudaEvent.create(gpu);
        CudaEvent doneB = CudaEvent.create(gpu);
        CudaEvent usedA = CudaEvent.create(gpu);
        CudaEvent usedB = CudaEvent.create(gpu)) {
      Tensor da = Tensor.empty(gpu, n), db = Tensor.empty(gpu, n), out = Tensor.empty(gpu, n);
      PinnedBuffer[] host = {a, b};
      Tensor[] dev = {da, db};
      CudaEvent[] done = {doneA, doneB}, used = {usedA, usedB};
      for (int k = 0; k < 8; k++) { // double-buffered as the loader does it
        int s = k % 2;
        float[] data = Seeds.normal(r, n);
        done[s].synchronize();
        host[s].write(data, n);
        copies.waitFor(used[s]);
        host[s].copyToAsync(0, dev[s], n, copies, done[s]);
        done[s].makeOpsWait();
        ElementwiseOps.reluForward(dev[s], out);
        used[s].record(null);
        float[] want = new float[n];
        for (int i = 0; i < n; i++) want[i] = Math.max(data[i], 0f);
        Tolerance.EXACT.assertClose("batch " + k, want, out.toArray(), seed);
      }
      // a part at an offset
      float[] data = Seeds.normal(r, n);
      a.write(data, n);
      Tensor part = Tensor.full(gpu, Float.NaN, 100);
      usedA.record(null); // the copy stream must not write part before the ops' stream has filled it
      copies.waitFor(usedA);
      a.copyToAsync(17, part, 100, copies, doneA);
      doneA.synchronize();
      float[] want = java.util.Arrays.copyOfRange(data, 17, 117);
      Tolerance.EXACT.assertClose("copy at an offset", want, part.toArray(), seed);
      assertThrows(IllegalArgumentException.class, () -> a.copyToAsync(n - 10, part, 100, copies, doneA));
      assertThrows(IllegalArgumentException.class, () -> a.copyToAsync(0, Tensor.empty(Device.cpu(), 100), 100, copies, doneA));
      IllegalArgumentException noEvent = assertThrows(IllegalArgumentException.class, () -> a.copyToAsync(0, part, 10, copies, null));
      org.junit.jupiter.api.Assertions.assertTrue(noEvent.getMessage().contains("done"), noEvent.getMessage());
    }
  }

  @Test
  void closedHandlesThrowAndClosingTwiceIsHarmless() {
    Device gpu = CudaPair.gpu();
    PinnedBuffer p = PinnedBuffer.allocate(10);
    CudaStream s = CudaStream.create(gpu);
    CudaEvent e = CudaEvent.create(gpu);
    p.close();
    p.close();
    s.close();
    s.close();
    e.close();
    e.close();
    assertThrows(IllegalStateException.class, p::address);
    assertThrows(IllegalStateException.class, s::handle);
    assertThrows(IllegalStateException.class, e::handle);
  }
}
