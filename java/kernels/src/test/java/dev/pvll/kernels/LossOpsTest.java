package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.array;
import static dev.pvll.kernels.LayerTorch.leaf;
import static dev.pvll.kernels.LayerTorch.ours;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Softmax cross-entropy against libtorch's cross_entropy (mean reduction) and argmax.
 * Tolerances: loss 1e-6 absolute + 1e-6 relative; dlogits 1e-7/N absolute + 1e-5 relative;
 * the correct count exactly.
 */
class LossOpsTest {
  static final int[][] SHAPES = {{64, 10}, {1, 1}, {1, 7}, {300, 100}, {96, 10}};

  @Test
  void lossGradientAndCountMatchLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      int n = s[0], k = s[1];
      float[] z = Seeds.normal(r, n * k), labels = new float[n];
      for (int i = 0; i < n; i++) labels[i] = r.nextInt(k);
      for (int i = 0; i < n * k; i++) z[i] *= 3;
      org.bytedeco.pytorch.Tensor tz = leaf(z, n, k);
      org.bytedeco.pytorch.Tensor tl = LayerTorch.torch(labels, n).toType(torch.ScalarType.Long);
      org.bytedeco.pytorch.Tensor loss = torch.cross_entropy(tz, tl);
      loss.backward();
      int correct = (int) torch.argmax(tz.detach(), new org.bytedeco.pytorch.LongOptional(1), false).eq(tl).sum()
          .item_long();
      String what = "cross-entropy " + n + "x" + k;
      try (Scope scope = Scope.open()) {
        Tensor dz = Tensor.empty(Device.cpu(), n, k);
        LossResult result = LossOps.softmaxCrossEntropy(ours(z, n, k), ours(labels, n), dz);
        new Tolerance(1e-6, 1e-6).assertClose(what + " loss", new double[] {loss.item_double()},
            new double[] {result.loss()}, seed);
        assertEquals(correct, result.correct(), what + " correct count, seed " + seed);
        // dlogits = (softmax - onehot) / n: entries near zero carry float32 rounding of order 1e-7 / n
        // times a few (softmax of 10 logits), so the floor is 1e-6 / n.
        new Tolerance(1e-6 / n, 1e-5).assertClose(what + " dlogits", array(tz.grad()), dz.toArray(), seed);
        Tensor lossOut = Tensor.empty(Device.cpu(), 1), correctOut = Tensor.empty(Device.cpu(), 1);
        LossOps.softmaxCrossEntropy(ours(z, n, k), ours(labels, n), lossOut, correctOut, null);
        assertEquals((float) result.loss(), lossOut.toArray()[0]);
        assertEquals(correct, (int) correctOut.toArray()[0]);
      }
    }
  }

  @Test
  void badLabelIsAClearError() {
    try (Scope scope = Scope.open()) {
      Tensor z = Tensor.zeros(Device.cpu(), 3, 10);
      KernelException e = assertThrows(KernelException.class,
          () -> LossOps.softmaxCrossEntropy(z, ours(new float[] {1, 10, 2}, 3), null));
      assertTrue(e.getMessage().contains("label 10 at row 1") && e.getMessage().contains("[0, 10)"), e.getMessage());
      e = assertThrows(KernelException.class,
          () -> LossOps.softmaxCrossEntropy(z, ours(new float[] {1, 2.5f, 2}, 3), null));
      assertTrue(e.getMessage().contains("label 2.5"), e.getMessage());
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> LossOps.softmaxCrossEntropy(z, Tensor.zeros(Device.cpu(), 4), null));
      assertTrue(shape.getMessage().contains("labels"), shape.getMessage());
    }
  }
}
