package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Gumbel kernels on CUDA against the CPU: the same (seed, counter) must give the same
 * architecture (bit-identical op indices) and near-identical weights and noise on either device.
 */
class SamplingCudaTest {
  @Test
  void gumbelSoftmaxArgmaxGivesTheSameArchitectureOnBothDevices() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] dims = {{28, 8}, {1, 1}, {3, 5}, {14, 7}, {1000, 8}, {2, 1001}};
    for (int[] d : dims) {
      int rows = d[0], cols = d[1];
      for (int draw = 0; draw < 5; draw++) {
        long sampleSeed = r.nextLong(), counter = draw == 0 ? 0 : r.nextLong();
        float tau = draw % 2 == 0 ? 1f : 0.1f + r.nextFloat() * 9.9f;
        try (Scope scope = Scope.open()) {
          String at = rows + "x" + cols + " seed " + sampleSeed + " counter " + counter + " tau " + tau;
          CudaPair logits = CudaPair.of(gpu, Seeds.normal(r, rows * cols), rows, cols);
          CudaPair noise = CudaPair.poisoned(gpu, rows, cols), w = CudaPair.poisoned(gpu, rows, cols);
          CudaPair idx = CudaPair.poisoned(gpu, rows);
          SamplingOps.gumbelSoftmaxArgmax(logits.cpu, sampleSeed, counter, tau, noise.cpu, w.cpu, idx.cpu);
          SamplingOps.gumbelSoftmaxArgmax(logits.gpu, sampleSeed, counter, tau, noise.gpu, w.gpu, idx.gpu);
          idx.assertClose(Tolerance.EXACT, "op indices " + at, seed);
          w.assertClose(Tolerance.FLOAT, "edge weights " + at, seed);
          noise.assertClose(Tolerance.FLOAT, "noise " + at, seed);
          // without gumbelOut the noise goes through weightsOut first: same results
          CudaPair w2 = CudaPair.poisoned(gpu, rows, cols), idx2 = CudaPair.poisoned(gpu, rows);
          SamplingOps.gumbelSoftmaxArgmax(logits.gpu, sampleSeed, counter, tau, null, w2.gpu, idx2.gpu);
          Tolerance.EXACT.assertClose("weights without noise output " + at, w.gpu.toArray(), w2.gpu.toArray(), seed);
          Tolerance.EXACT.assertClose("indices without noise output " + at, idx.gpu.toArray(), idx2.gpu.toArray(), seed);
        }
      }
    }
  }

  @Test
  void gumbelNoiseFollowsTheStreamContract() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (long offset : new long[] {0, 1, 3, 4, 1_000_003}) {
      for (int n : new int[] {1, 5, 4096, 100_001}) {
        try (Scope scope = Scope.open()) {
          long s = r.nextLong(), counter = r.nextLong();
          Tensor g = Tensor.full(gpu, Float.NaN, n);
          SamplingOps.gumbelNoise(s, counter, offset, g);
          float[] got = g.toArray(), want = new float[n];
          Philox.gumbel(s, counter, offset, want);
          int exact = 0;
          for (int i = 0; i < n; i++) if (got[i] == want[i]) exact++;
          Tolerance.FLOAT.assertClose("noise offset " + offset + " n " + n, want, got, seed);
          // the contract allows, rarely, one float ulp from the double logarithm
          assertTrue(exact >= n - Math.max(1, n / 1000), exact + " of " + n + " values bit-identical, seed " + seed);
        }
      }
    }
  }
}
