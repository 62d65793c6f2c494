package dev.pvll.kernels;

import static dev.pvll.kernels.CudaPair.cpuOf;
import static dev.pvll.kernels.CudaPair.gpuOf;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batch norm on CUDA against the CPU kernels, every direction, affine and not, odd shapes. */
class NormCudaTest {
  static final int[][] SHAPES = {{64, 16, 32, 32}, {3, 5, 7, 9}, {2, 3, 1, 1}, {1, 7, 13, 11}, {5, 2, 33, 17}, {64, 64, 8, 8}};

  @Test
  void trainingForwardAndBackwardMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      for (boolean affine : new boolean[] {true, false}) {
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            int n = (int) Tensor.count(s), c = s[1];
            String at = java.util.Arrays.toString(s) + (affine ? " affine" : "") + (accumulate ? " accumulate" : "");
            float[] xs = Seeds.normal(r, n);
            for (int i = 0; i < n; i++) xs[i] = xs[i] * 3f + 5f; // an offset mean tests the shifted sums
            CudaPair x = CudaPair.of(gpu, xs, s);
            CudaPair gamma = affine ? CudaPair.of(gpu, Seeds.uniform(r, c, 0.5f, 1.5f), c) : null;
            CudaPair beta = affine ? CudaPair.of(gpu, Seeds.normal(r, c), c) : null;
            CudaPair y = CudaPair.poisoned(gpu, s), mean = CudaPair.poisoned(gpu, c), invstd = CudaPair.poisoned(gpu, c);
            float[] rm = Seeds.normal(r, c), rv = Seeds.uniform(r, c, 0.5f, 2f);
            CudaPair runMean = CudaPair.of(gpu, rm, c), runVar = CudaPair.of(gpu, rv, c);
            NormOps.batchNormTrainForward(x.cpu, cpuOf(gamma), cpuOf(beta), y.cpu, mean.cpu, invstd.cpu, runMean.cpu,
                runVar.cpu, 0.1f, 1e-5f);
            NormOps.batchNormTrainForward(x.gpu, gpuOf(gamma), gpuOf(beta), y.gpu, mean.gpu, invstd.gpu, runMean.gpu,
                runVar.gpu, 0.1f, 1e-5f);
            y.assertClose(CudaPair.REDUCED, "bn train y " + at, seed);
            mean.assertClose(Tolerance.FLOAT, "bn save_mean " + at, seed);
            invstd.assertClose(CudaPair.REDUCED, "bn save_invstd " + at, seed);
            runMean.assertClose(Tolerance.FLOAT, "bn running_mean " + at, seed);
            runVar.assertClose(CudaPair.REDUCED, "bn running_var " + at, seed);

            float[] dys = Seeds.normal(r, n);
            CudaPair dy = CudaPair.of(gpu, dys, s);
            CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
            CudaPair dgamma = CudaPair.poisoned(gpu, c), dbeta = CudaPair.poisoned(gpu, c);
            NormOps.batchNormBackward(x.cpu, dy.cpu, mean.cpu, invstd.cpu, cpuOf(gamma), dx.cpu, dgamma.cpu, dbeta.cpu,
                accumulate);
            NormOps.batchNormBackward(x.gpu, dy.gpu, mean.gpu, invstd.gpu, gpuOf(gamma), dx.gpu, dgamma.gpu, dbeta.gpu,
                accumulate);
            dx.assertClose(CudaPair.REDUCED, "bn backward dx " + at, seed);
            dgamma.assertClose(CudaPair.REDUCED, "bn dgamma " + at, seed);
            dbeta.assertClose(CudaPair.REDUCED, "bn dbeta " + at, seed);
          }
        }
      }
    }
  }

  @Test
  void outputsMayAliasInputsAndGradientsAreNullable() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[] s = {4, 3, 5, 5};
    int n = (int) Tensor.count(s);
    try (Scope scope = Scope.open()) {
      float[] xs = Seeds.normal(r, n);
      CudaPair x = CudaPair.of(gpu, xs, s), ref = CudaPair.poisoned(gpu, s);
      CudaPair mean = CudaPair.poisoned(gpu, 3), invstd = CudaPair.poisoned(gpu, 3);
      NormOps.batchNormTrainForward(x.cpu, null, null, ref.cpu, mean.cpu, invstd.cpu, null, null, 0.1f, 1e-5f);
      NormOps.batchNormTrainForward(x.gpu, null, null, x.gpu, mean.gpu, invstd.gpu, null, null, 0.1f, 1e-5f); // in place
      CudaPair.REDUCED.assertClose("bn in place", ref.cpu.toArray(), x.gpu.toArray(), seed);
      CudaPair x2 = CudaPair.of(gpu, xs, s), dy = CudaPair.of(gpu, Seeds.normal(r, n), s), dx = CudaPair.poisoned(gpu, s);
      NormOps.batchNormBackward(x2.cpu, dy.cpu, mean.cpu, invstd.cpu, null, dx.cpu, null, null, false);
      NormOps.batchNormBackward(x2.gpu, dy.gpu, mean.gpu, invstd.gpu, null, dy.gpu, null, null, false); // dx = dy
      CudaPair.REDUCED.assertClose("bn backward in place", dx.cpu.toArray(), dy.gpu.toArray(), seed);
    }
  }

  @Test
  void inferenceMatchesTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      try (Scope scope = Scope.open()) {
        int n = (int) Tensor.count(s), c = s[1];
        CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n), s), y = CudaPair.poisoned(gpu, s);
        CudaPair gamma = CudaPair.of(gpu, Seeds.normal(r, c), c), beta = CudaPair.of(gpu, Seeds.normal(r, c), c);
        CudaPair rm = CudaPair.of(gpu, Seeds.normal(r, c), c), rv = CudaPair.of(gpu, Seeds.uniform(r, c, 0.1f, 3f), c);
        NormOps.batchNormInferenceForward(x.cpu, gamma.cpu, beta.cpu, rm.cpu, rv.cpu, y.cpu, 1e-5f);
        NormOps.batchNormInferenceForward(x.gpu, gamma.gpu, beta.gpu, rm.gpu, rv.gpu, y.gpu, 1e-5f);
        y.assertClose(Tolerance.FLOAT, "bn inference " + java.util.Arrays.toString(s), seed);
        NormOps.batchNormInferenceForward(x.cpu, null, null, rm.cpu, rv.cpu, y.cpu, 1e-5f);
        NormOps.batchNormInferenceForward(x.gpu, null, null, rm.gpu, rv.gpu, y.gpu, 1e-5f);
        y.assertClose(Tolerance.FLOAT, "bn inference, no affine " + java.util.Arrays.toString(s), seed);
      }
    }
  }

  @Test
  void reductionsAreDeterministic() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[] s = {64, 16, 32, 32};
    int n = (int) Tensor.count(s);
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(gpu, Seeds.normal(r, n), s), dy = Tensor.of(gpu, Seeds.normal(r, n), s);
      float[][] first = null;
      for (int run = 0; run < 3; run++) {
        Tensor y = Tensor.emptyLike(x), mean = Tensor.empty(gpu, 16), invstd = Tensor.empty(gpu, 16);
        Tensor dx = Tensor.emptyLike(x), dg = Tensor.empty(gpu, 16), db = Tensor.empty(gpu, 16);
        NormOps.batchNormTrainForward(x, null, null, y, mean, invstd, null, null, 0.1f, 1e-5f);
        NormOps.batchNormBackward(x, dy, mean, invstd, null, dx, dg, db, false);
        float[][] now = {y.toArray(), mean.toArray(), invstd.toArray(), dx.toArray(), dg.toArray(), db.toArray()};
        if (first == null) first = now;
        else for (int i = 0; i < now.length; i++) Tolerance.EXACT.assertClose("bn run " + run + " output " + i, first[i], now[i], seed);
      }
    }
  }
}
