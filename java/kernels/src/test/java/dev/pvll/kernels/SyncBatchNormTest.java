package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Synchronised batch norm on the CPU in one process: the shards' statistics summed (as the
 * all-reduce sums them) and then applied give what the fused training kernels give on the whole
 * batch, forward (y, batch statistics, running averages) and backward (dx, and dgamma/dbeta as
 * the sum of the shards' shares), for both ways of splitting a batch across ranks: consecutive
 * blocks (halves, 1 + the rest, an empty shard, three shards) and interleaved samples (2 and 3
 * ranks), each summed in both orders. Tolerances: y, dx, invstd and the running variance 1e-5
 * absolute + 1e-5 relative; the mean 1e-6; dgamma/dbeta (sums over N*H*W values) 1e-6 *
 * sqrt(N*H*W) + 1e-5 relative.
 */
class SyncBatchNormTest {
  static final int[][] SHAPES = {{8, 5, 7, 7}, {6, 16, 8, 8}, {7, 3, 1, 1}, {32, 16, 16, 16}};

  @Test
  void shardsSummedMatchTheWholeBatchForEveryWayOfSplitting() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      ShardedNorm.Batch batch = ShardedNorm.random(r, s);
      ShardedNorm.Result whole = ShardedNorm.whole(Device.cpu(), batch);
      int n = s[0];
      int[][][] splits = {ShardedNorm.contiguous(n, n / 2, n - n / 2), ShardedNorm.contiguous(n, 1, n - 1),
          ShardedNorm.contiguous(n, 0, n), ShardedNorm.contiguous(n, 1, (n - 1) / 2, n - 1 - (n - 1) / 2),
          ShardedNorm.interleaved(n, 2), ShardedNorm.interleaved(n, 3)};
      for (int[][] split : splits) {
        for (boolean reverse : new boolean[] {false, true}) {
          String what = Arrays.toString(s) + " shards " + Arrays.deepToString(split) + (reverse ? " reversed" : "");
          assertSame(what, whole, ShardedNorm.sharded(Device.cpu(), batch, split, reverse), batch, seed,
              Tolerance.FLOAT);
        }
      }
    }
  }

  /** Compares a sharded result with the whole batch's. */
  static void assertSame(String what, ShardedNorm.Result expected, ShardedNorm.Result got, ShardedNorm.Batch batch,
      long seed, Tolerance values) {
    values.assertClose(what + " y", expected.y(), got.y(), seed);
    new Tolerance(1e-6, 1e-6).assertClose(what + " mean", expected.mean(), got.mean(), seed);
    values.assertClose(what + " invstd", expected.invstd(), got.invstd(), seed);
    new Tolerance(1e-6, 1e-6).assertClose(what + " running mean", expected.runningMean(), got.runningMean(), seed);
    values.assertClose(what + " running var", expected.runningVar(), got.runningVar(), seed);
    values.assertClose(what + " dx", expected.dx(), got.dx(), seed);
    Tolerance sums = new Tolerance(1e-6 * Math.sqrt((double) batch.x().length / batch.c()), 1e-5);
    sums.assertClose(what + " dgamma", expected.dgamma(), got.dgamma(), seed);
    sums.assertClose(what + " dbeta", expected.dbeta(), got.dbeta(), seed);
  }

  @Test
  void theStatisticsLayoutIsSumsAndCount() {
    // 2 samples, 2 channels, 1x2 planes: channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 20, 30, 40
    float[] x = {1, 2, 10, 20, 3, 4, 30, 40};
    try (Scope scope = Scope.open(); NativeDoubles stats = NativeDoubles.zeros(Device.cpu(), 5)) {
      NormOps.batchNormStats(Tensor.of(Device.cpu(), x, 2, 2, 1, 2), stats);
      assertArrayEquals(new double[] {10, 100, 30, 3000, 4}, stats.toArray(), 1e-9);
    }
  }

  @Test
  void syncBatchNormOfOneRankIsTheFusedKernel() {
    long seed = Seeds.next();
    ShardedNorm.Batch b = ShardedNorm.random(new Random(seed), 4, 3, 5, 5);
    ShardedNorm.Result whole = ShardedNorm.whole(Device.cpu(), b);
    try (Scope scope = Scope.open()) {
      Device cpu = Device.cpu();
      int c = b.c();
      Tensor x = Tensor.of(cpu, b.x(), b.shape()), gamma = Tensor.of(cpu, b.gamma(), c),
          beta = Tensor.of(cpu, b.beta(), c), y = Tensor.empty(cpu, b.shape()), mean = Tensor.empty(cpu, c),
          invstd = Tensor.empty(cpu, c), rm = Tensor.of(cpu, b.runningMean(), c), rv = Tensor.of(cpu, b.runningVar(), c);
      SyncBatchNorm.trainForward(Collectives.single(), x, gamma, beta, y, mean, invstd, rm, rv, ShardedNorm.MOMENTUM,
          ShardedNorm.EPS);
      Tensor dx = Tensor.empty(cpu, b.shape()), dg = Tensor.empty(cpu, c), db = Tensor.empty(cpu, c);
      SyncBatchNorm.backward(Collectives.single(), x, Tensor.of(cpu, b.dy(), b.shape()), mean, invstd, gamma, dx, dg, db,
          false);
      Tolerance.EXACT.assertClose("y", whole.y(), y.toArray(), seed);
      Tolerance.EXACT.assertClose("running var", whole.runningVar(), rv.toArray(), seed);
      Tolerance.EXACT.assertClose("dx", whole.dx(), dx.toArray(), seed);
      Tolerance.EXACT.assertClose("dgamma", whole.dgamma(), dg.toArray(), seed);
    }
  }

  @Test
  void badArgumentsAreRejectedBeforeAnyNativeCall() {
    try (Scope scope = Scope.open()) {
      Device cpu = Device.cpu();
      Tensor x = Tensor.zeros(cpu, 2, 3, 2, 2), c3 = Tensor.zeros(cpu, 3);
      try (NativeDoubles wrongLength = NativeDoubles.zeros(cpu, 6)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> NormOps.batchNormStats(x, wrongLength));
        assertTrue(e.getMessage().contains("7 doubles"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> NormOps.batchNormStatsFinish(wrongLength, c3, c3, c3, null, null, 0.1f, 1e-5f));
      }
      NativeDoubles closed = NativeDoubles.zeros(cpu, 7);
      closed.close();
      closed.close();  // harmless
      assertThrows(IllegalStateException.class, () -> NormOps.batchNormStats(x, closed));
      assertThrows(IllegalStateException.class, closed::toArray);
      try (NativeDoubles stats = NativeDoubles.zeros(cpu, 7)) {
        assertThrows(IllegalArgumentException.class,
            () -> NormOps.batchNormStatsFinish(stats, c3, c3, c3, c3, null, 0.1f, 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> NormOps.batchNormStats(null, stats));
        // a batch of one value per channel over all ranks: rejected by the CPU kernel
        stats.copyFrom(new double[] {1, 1, 1, 1, 1, 1, 1});
        KernelException e = assertThrows(KernelException.class,
            () -> NormOps.batchNormStatsFinish(stats, c3, c3, c3, null, null, 0.1f, 1e-5f));
        assertEquals(KernelException.INVALID_ARGUMENT, e.status());
        assertTrue(e.getMessage().contains("more than 1 value"), e.getMessage());
      }
      assertThrows(IllegalArgumentException.class, () -> NativeDoubles.zeros(cpu, -1));
      assertThrows(IllegalArgumentException.class, () -> SyncBatchNorm.trainForward(null, x, null, null, x, c3, c3,
          null, null, 0.1f, 1e-5f));
    }
  }
}
