package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Concat/split, drop-path, addition and dot on CUDA against the CPU kernels. */
class TensorOpsCudaTest {
  @Test
  void concatAndSplitMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] channelSets = {{16, 16, 16, 16}, {1}, {3, 1, 4}, {2, 3, 1, 5, 2, 1, 1, 4, 3, 2}, {0, 5, 0}};
    int[][] maps = {{64, 32, 32}, {3, 7, 5}, {2, 1, 1}, {1, 9, 13}};
    for (int[] channels : channelSets) {
      for (int[] m : maps) {
        for (boolean accumulate : new boolean[] {false, true}) {
          try (Scope scope = Scope.open()) {
            int n = m[0], h = m[1], w = m[2], total = 0;
            for (int c : channels) total += c;
            String at = java.util.Arrays.toString(channels) + " n " + n + " " + h + "x" + w + (accumulate ? " accumulate" : "");
            List<CudaPair> xs = new ArrayList<>(), dxs = new ArrayList<>();
            for (int c : channels) {
              xs.add(CudaPair.of(gpu, Seeds.normal(r, n * c * h * w), n, c, h, w));
              dxs.add(accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n * c * h * w), n, c, h, w)
                  : CudaPair.poisoned(gpu, n, c, h, w));
            }
            CudaPair y = CudaPair.poisoned(gpu, n, total, h, w);
            TensorOps.concatChannels(xs.stream().map(p -> p.cpu).toList(), y.cpu);
            TensorOps.concatChannels(xs.stream().map(p -> p.gpu).toList(), y.gpu);
            y.assertClose(Tolerance.EXACT, "concat " + at, seed);
            CudaPair dy = CudaPair.of(gpu, Seeds.normal(r, n * total * h * w), n, total, h, w);
            TensorOps.splitChannels(dy.cpu, dxs.stream().map(p -> p.cpu).toList(), accumulate);
            TensorOps.splitChannels(dy.gpu, dxs.stream().map(p -> p.gpu).toList(), accumulate);
            for (int i = 0; i < dxs.size(); i++) dxs.get(i).assertClose(Tolerance.EXACT, "split part " + i + " " + at, seed);
          }
        }
      }
    }
  }

  @Test
  void dropPathAddAndDotMatchTheCpu() {
    Device gpu = CudaPair.gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][] shapes = {{64, 16, 32, 32}, {3, 5, 7, 9}, {1, 1, 1, 1}, {7, 3}, {5}};
    for (int[] s : shapes) {
      try (Scope scope = Scope.open()) {
        int n = (int) Tensor.count(s), samples = s[0];
        String at = java.util.Arrays.toString(s);
        float[] mask = new float[samples];
        for (int i = 0; i < samples; i++) mask[i] = r.nextBoolean() ? 1f : 0f;
        float keep = 0.7f;
        CudaPair x = CudaPair.of(gpu, Seeds.normal(r, n), s), m = CudaPair.of(gpu, mask, samples);
        CudaPair y = CudaPair.poisoned(gpu, s);
        TensorOps.dropPathForward(x.cpu, m.cpu, y.cpu, keep);
        TensorOps.dropPathForward(x.gpu, m.gpu, y.gpu, keep);
        y.assertClose(Tolerance.FLOAT, "drop-path forward " + at, seed);
        for (boolean accumulate : new boolean[] {false, true}) {
          CudaPair dx = accumulate ? CudaPair.holding(gpu, Seeds.normal(r, n), s) : CudaPair.poisoned(gpu, s);
          TensorOps.dropPathBackward(x.cpu, m.cpu, dx.cpu, keep, accumulate);
          TensorOps.dropPathBackward(x.gpu, m.gpu, dx.gpu, keep, accumulate);
          dx.assertClose(Tolerance.FLOAT, "drop-path backward " + at + (accumulate ? " accumulate" : ""), seed);
        }
        TensorOps.dropPathForward(x.gpu, m.gpu, x.gpu, keep); // in place
        TensorOps.dropPathForward(x.cpu, m.cpu, x.cpu, keep);
        x.assertClose(Tolerance.FLOAT, "drop-path in place " + at, seed);

        CudaPair a = CudaPair.of(gpu, Seeds.normal(r, n), s), b = CudaPair.of(gpu, Seeds.normal(r, n), s);
        CudaPair sum = CudaPair.poisoned(gpu, s);
        TensorOps.add(a.cpu, b.cpu, sum.cpu);
        TensorOps.add(a.gpu, b.gpu, sum.gpu);
        sum.assertClose(Tolerance.EXACT, "add " + at, seed);

        double dc = ElementwiseOps.dot(a.cpu, b.cpu), dg = ElementwiseOps.dot(a.gpu, b.gpu);
        new Tolerance(1e-9, 1e-9).assertClose("dot " + at, new double[] {dc}, new double[] {dg}, seed);
        Tolerance.EXACT.assertClose("dot is deterministic " + at, new double[] {dg},
            new double[] {ElementwiseOps.dot(a.gpu, b.gpu)}, seed);
      }
    }
  }
}
