package dev.pvll.kernels;

import static dev.pvll.kernels.CudaPair.cpuOf;
import static dev.pvll.kernels.CudaPair.gpuOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Linear layer and softmax cross-entropy on CUDA against the CPU kernels. */
class LinearLossCudaTest {
  @Test
  void linearForwardAndBackwardMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] dims = {{64, 256, 10}, {1, 1, 1}, {7, 33, 5}, {96, 576, 10}, {3, 1000, 37}};
    for (int[] d : dims) {
      int n = d[0], in = d[1], out = d[2];
      for (boolean bias : new boolean[] {true, false}) {
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            String at = n + "x" + in + "->" + out + (bias ? " bias" : "") + (accumulate ? " accumulate" : "");
            CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n * in), n, in), w = CudaPair.of(gpu, Seeds.normal(r, out * in), out, in);
            CudaPair b = bias ? CudaPair.of(gpu, Seeds.normal(r, out), out) : null;
            CudaPair y = CudaPair.poisoned(gpu, n, out);
            LinearOps.linearForward(x.cpu, w.cpu, cpuOf(b), y.cpu);
            LinearOps.linearForward(x.gpu, w.gpu, gpuOf(b), y.gpu);
            y.assertClose(CudaPair.sums(in), "linear forward " + at, seed);
            CudaPair dy = CudaPair.of(gpu, Seeds.normal(r, n * out), n, out);
            CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n * in), n, in) : CudaPair.poisoned(gpu, n, in);
            CudaPair dw = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, out * in), out, in) : CudaPair.poisoned(gpu, out, in);
            CudaPair db = bias ? (accumulate ? CudaPair.holding(gpu, Seeds.normal(r, out), out) : CudaPair.poisoned(gpu, out)) : null;
            LinearOps.linearBackward(x.cpu, w.cpu, dy.cpu, dx.cpu, dw.cpu, cpuOf(db), accumulate);
            LinearOps.linearBackward(x.gpu, w.gpu, dy.gpu, dx.gpu, dw.gpu, gpuOf(db), accumulate);
            dx.assertClose(CudaPair.sums(out), "linear dx " + at, seed);
            dw.assertClose(CudaPair.sums(n), "linear dw " + at, seed);
            if (db != null) db.assertClose(CudaPair.sums(n), "linear db " + at, seed);
            // dx not wanted
            CudaPair dw2 = CudaPair.poisoned(gpu, out, in);
            LinearOps.linearBackward(x.cpu, w.cpu, dy.cpu, null, dw2.cpu, null, false);
            LinearOps.linearBackward(x.gpu, w.gpu, dy.gpu, null, dw2.gpu, null, false);
            dw2.assertClose(CudaPair.sums(n), "linear dw without dx " + at, seed);
          }
        }
      }
    }
  }

  @Test
  void crossEntropyMatchesTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] dims = {{64, 10}, {1, 1}, {3, 7}, {500, 10}, {9, 1000}, {256, 100}};
    for (int[] d : dims) {
      int n = d[0], k = d[1];
      try (Scope scope = Scope.open()) {
        float[] z = Seeds.normal(r, n * k);
        for (int i = 0; i < z.length; i++) z[i] *= 4f;
        if (k > 2) z[1] = z[0]; // a tie: the first argmax counts
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(k);
        CudaPair logits = CudaPair.of(gpu, z, n, k), lab = CudaPair.of(gpu, labels, n);
        CudaPair dz = CudaPair.poisoned(gpu, n, k);
        LossResult c = LossOps.softmaxCrossEntropy(logits.cpu, lab.cpu, dz.cpu);
        LossResult g = LossOps.softmaxCrossEntropy(logits.gpu, lab.gpu, dz.gpu);
        assertEquals(c.correct(), g.correct(), "correct count " + n + "x" + k + ", seed " + seed);
        assertTrue(Math.abs(c.loss() - g.loss()) <= 1e-5 + 1e-5 * Math.abs(c.loss()),
            "loss " + c.loss() + " vs " + g.loss() + " at " + n + "x" + k + ", seed " + seed);
        dz.assertClose(Tolerance.FLOAT, "cross-entropy gradient " + n + "x" + k, seed);
        LossResult noGrad = LossOps.softmaxCrossEntropy(logits.gpu, lab.gpu, null);
        assertEquals(g, noGrad, "the loss does not depend on dlogits being wanted");
      }
    }
  }

  @Test
  void aBadLabelIsMarkedOnTheDeviceAndReported() {
    Device gpu = CudaPair.gpu();
    try (Scope scope = Scope.open()) {
      Tensor logits = Tensor.zeros(gpu, 4, 3), labels = Tensor.of(gpu, new float[] {0, 2, 3, 1.5f}, 4);
      Tensor dz = Tensor.full(gpu, 7f, 4, 3), loss = Tensor.empty(gpu, 1), correct = Tensor.empty(gpu, 1);
      LossOps.softmaxCrossEntropy(logits, labels, loss, correct, dz);
      assertTrue(Float.isNaN(loss.toArray()[0]));
      assertEquals(-3f, correct.toArray()[0], "-(first bad row + 1)");
      for (float v : dz.toArray()) assertEquals(7f, v, "dlogits untouched");
      KernelException e = assertThrows(KernelException.class, () -> LossOps.softmaxCrossEntropy(logits, labels, dz));
      assertTrue(e.getMessage().contains("row 2"), e.getMessage());
    }
  }
}
