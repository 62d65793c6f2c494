package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Elementwise CUDA kernels against the CPU kernels (the device script runs every *CudaTest
 * on the lent GPU, where libtorch is not carried). Skipped where no GPU is usable.
 */
class ElementwiseCudaTest {
  @Test
  void cudaMatchesCpu() {
    Device gpu = Device.cuda(0);
    TestDevices.assumePresent(gpu);
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] shape : new int[][] {{1, 3, 7, 7}, {64, 16, 32, 32}, {3, 5, 9, 13}, {1}}) {
      int n = (int) Tensor.count(shape);
      float[] x = Seeds.normal(r, n), dy = Seeds.normal(r, n);
      float alpha = (float) r.nextGaussian();
      try (Scope s = Scope.open()) {
        Tensor cx = Tensor.of(Device.cpu(), x, shape), cdy = Tensor.of(Device.cpu(), dy, shape);
        Tensor gx = cx.to(gpu), gdy = cdy.to(gpu);
        Tolerance.EXACT.assertClose("relu forward", ElementwiseOps.relu(cx).toArray(), ElementwiseOps.relu(gx).toArray(), seed);
        Tensor cdx = Tensor.emptyLike(cx), gdx = Tensor.emptyLike(gx);
        ElementwiseOps.reluBackward(cx, cdy, cdx);
        ElementwiseOps.reluBackward(gx, gdy, gdx);
        Tolerance.EXACT.assertClose("relu backward", cdx.toArray(), gdx.toArray(), seed);
        ElementwiseOps.scaleAdd(cx, alpha, cdy, true);
        ElementwiseOps.scaleAdd(gx, alpha, gdy, true);
        Tolerance.FLOAT.assertClose("scale_add", cdy.toArray(), gdy.toArray(), seed);
      }
    }
  }
}
