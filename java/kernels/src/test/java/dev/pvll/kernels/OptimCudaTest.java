package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SGD, Adam, gradient norms and clipping on CUDA against the CPU kernels. */
class OptimCudaTest {
  static final int[] SIZES = {1, 7, 1000, 65_537, 1_930_618};

  @Test
  void sgdAndAdamStepsMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int n : SIZES) {
      try (Scope scope = Scope.open()) {
        CudaPair p = CudaPair.of(gpu, Seeds.normal(r, n), n), buf = CudaPair.of(gpu, new float[n], n);
        for (int step = 1; step <= 3; step++) {
          CudaPair g = CudaPair.of(gpu, Seeds.normal(r, n), n);
          OptimOps.sgdStep(p.cpu, g.cpu, buf.cpu, 0.025f, 0.9f, 3e-4f);
          OptimOps.sgdStep(p.gpu, g.gpu, buf.gpu, 0.025f, 0.9f, 3e-4f);
          OptimOps.sgdStep(p.cpu, g.cpu, null, 0.01f, 0f, 0f);
          OptimOps.sgdStep(p.gpu, g.gpu, null, 0.01f, 0f, 0f);
        }
        p.assertClose(Tolerance.FLOAT, "sgd param n=" + n, seed);
        buf.assertClose(Tolerance.FLOAT, "sgd momentum n=" + n, seed);

        CudaPair q = CudaPair.of(gpu, Seeds.normal(r, n), n);
        CudaPair m = CudaPair.of(gpu, new float[n], n), v = CudaPair.of(gpu, new float[n], n);
        for (int step = 1; step <= 3; step++) {
          CudaPair g = CudaPair.of(gpu, Seeds.normal(r, n), n);
          OptimOps.adamStep(q.cpu, g.cpu, m.cpu, v.cpu, step, 3e-4f, 0.5f, 0.999f, 1e-8f, 1e-3f);
          OptimOps.adamStep(q.gpu, g.gpu, m.gpu, v.gpu, step, 3e-4f, 0.5f, 0.999f, 1e-8f, 1e-3f);
        }
        q.assertClose(Tolerance.FLOAT, "adam param n=" + n, seed);
        m.assertClose(Tolerance.FLOAT, "adam m n=" + n, seed);
        v.assertClose(Tolerance.FLOAT, "adam v n=" + n, seed);
      }
    }
  }

  @Test
  void normsAndClippingMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int buffers : new int[] {1, 3, 64, 65, 150}) {
      try (Scope scope = Scope.open()) {
        List<CudaPair> grads = new ArrayList<>();
        for (int i = 0; i < buffers; i++) {
          int n = i % 5 == 4 ? 0 : SIZES[r.nextInt(buffers > 10 ? 4 : SIZES.length)];
          grads.add(CudaPair.of(gpu, Seeds.normal(r, n), n)); // empty buffers included
        }
        Tensor[] c = grads.stream().map(p -> p.cpu).toArray(Tensor[]::new);
        Tensor[] g = grads.stream().map(p -> p.gpu).toArray(Tensor[]::new);
        double nc = OptimOps.gradNorm(c), ng = OptimOps.gradNorm(g);
        new Tolerance(0, 1e-6).assertClose("grad norm of " + buffers, new double[] {nc}, new double[] {ng}, seed);
        Tolerance.EXACT.assertClose("grad norm is deterministic", new double[] {ng}, new double[] {OptimOps.gradNorm(g)}, seed);
        for (float maxNorm : new float[] {(float) (nc * 2), (float) (nc / 3)}) { // no clip, then clip
          double cc = OptimOps.clipGradNorm(maxNorm, c), cg = OptimOps.clipGradNorm(maxNorm, g);
          new Tolerance(0, 1e-6).assertClose("clip norm", new double[] {cc}, new double[] {cg}, seed);
          for (int i = 0; i < buffers; i++) grads.get(i).assertClose(Tolerance.FLOAT, "clipped buffer " + i + " max " + maxNorm, seed);
        }
      }
    }
  }

  @Test
  void scaleBuffersOfViewsIntoOneFlatBuffer() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (Scope scope = Scope.open()) {
      CudaPair flat = CudaPair.of(gpu, Seeds.normal(r, 10_000), 10_000);
      Tensor[] c = {flat.cpu.view(0, 3000), flat.cpu.view(3000, 1), flat.cpu.view(3001, 6999)};
      Tensor[] g = {flat.gpu.view(0, 3000), flat.gpu.view(3000, 1), flat.gpu.view(3001, 6999)};
      OptimOps.clipGradNorm(1f, c);
      OptimOps.clipGradNorm(1f, g);
      flat.assertClose(Tolerance.FLOAT, "clip over views", seed);
    }
  }
}
