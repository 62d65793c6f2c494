package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loader delivering batches on the GPU (pinned memory, a copy stream, events) gives exactly
 * the batches of the host loader, also while ops on the previous batch are still running.
 */
@Timeout(120)
class BatchLoaderCudaTest {
  @Test
  void gpuBatchesEqualHostBatches() {
    Device gpu = Device.cuda(0);
    TestDevices.assumePresent(gpu);
    long seed = Seeds.next();
    Dataset d = AugmentationTest.randomData(seed, 300, 3, 32, 32);
    int[] idx = new int[299];
    for (int i = 0; i < idx.length; i++) idx[i] = (i * 7) % 300;
    Augmentation a = Augmentation.training(Normalization.CIFAR10).withCutout(16);
    BatchLoader.Options host = BatchLoader.Options.of(64, a, seed, 2).withShuffle(true);
    List<float[]> want = new ArrayList<>();
    try (BatchLoader loader = new BatchLoader(d, idx, host)) {
      while (loader.hasNext()) want.add(loader.next().block().toArray());
    }
    try (BatchLoader loader = new BatchLoader(d, idx, host.withDevice(gpu)); Scope scope = Scope.open()) {
      Tensor work = null;
      int k = 0;
      while (loader.hasNext()) {
        Batch b = loader.next();
        assertEquals(gpu, b.images().device());
        // some device work reading the batch, enqueued before the next batch's copy
        if (work == null || work.size() != b.images().size()) work = Tensor.emptyLike(b.images());
        for (int rep = 0; rep < 20; rep++) ElementwiseOps.reluForward(b.images(), work);
        Tolerance.EXACT.assertClose("batch " + k, want.get(k), b.block().toArray(), seed);
        k++;
      }
      assertEquals(want.size(), k);
    }
  }
}
