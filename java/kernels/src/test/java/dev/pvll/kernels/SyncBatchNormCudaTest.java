package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Synchronised batch norm on CUDA: the split kernels over shards on the GPU (buffers summed on
 * the host, as an all-reduce would) against the fused CPU kernels on the whole batch, consecutive
 * and interleaved splits. Tolerance of the other CUDA reductions (CudaPair.REDUCED).
 */
class SyncBatchNormCudaTest {
  @Test
  void shardsOnTheGpuMatchTheWholeBatchOnTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : new int[][] {{8, 5, 7, 7}, {64, 16, 16, 16}, {5, 3, 1, 1}}) {
      ShardedNorm.Batch batch = ShardedNorm.random(r, s);
      ShardedNorm.Result whole = ShardedNorm.whole(Device.cpu(), batch);
      int n = s[0];
      for (int[][] split : new int[][][] {ShardedNorm.contiguous(n, n / 2, n - n / 2), ShardedNorm.contiguous(n, 0, n),
          ShardedNorm.interleaved(n, 3)}) {
        String what = "cuda " + Arrays.toString(s) + " shards " + Arrays.deepToString(split);
        SyncBatchNormTest.assertSame(what, whole, ShardedNorm.sharded(gpu, batch, split, false), batch, seed,
            CudaPair.REDUCED);
      }
    }
  }
}
