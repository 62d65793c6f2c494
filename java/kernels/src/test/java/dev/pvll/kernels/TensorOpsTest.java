package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.array;
import static dev.pvll.kernels.LayerTorch.count;
import static dev.pvll.kernels.LayerTorch.leaf;
import static dev.pvll.kernels.LayerTorch.ours;
import static dev.pvll.kernels.LayerTorch.torch;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Channel concat/split against torch.cat and its autograd (exact: pure copies), drop-path
 * against x.div(keep).mul(mask) (1e-6 relative: one rounding where libtorch has two), and add
 * (exact).
 */
class TensorOpsTest {
  @Test
  void concatAndSplitMatchLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[][][] cases = {{{64, 16, 32, 32}, {64, 16, 32, 32}, {64, 16, 32, 32}, {64, 16, 32, 32}},
        {{3, 5, 7, 7}, {3, 1, 7, 7}, {3, 13, 7, 7}}, {{1, 2, 1, 1}}};
    for (int[][] shapes : cases) {
      List<org.bytedeco.pytorch.Tensor> leaves = new ArrayList<>();
      List<float[]> data = new ArrayList<>();
      int total = 0;
      for (int[] s : shapes) {
        float[] x = Seeds.normal(r, count(s));
        data.add(x);
        leaves.add(leaf(x, s));
        total += s[1];
      }
      int[] ys = {shapes[0][0], total, shapes[0][2], shapes[0][3]};
      org.bytedeco.pytorch.Tensor ty = torch.cat(new TensorVector(leaves.toArray(new org.bytedeco.pytorch.Tensor[0])), 1);
      float[] dy = Seeds.normal(r, count(ys));
      LayerTorch.backward(ty, dy, ys);
      try (Scope scope = Scope.open()) {
        List<Tensor> xs = new ArrayList<>(), dxs = new ArrayList<>(), accs = new ArrayList<>();
        List<float[]> befores = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
          xs.add(ours(data.get(i), shapes[i]));
          dxs.add(Tensor.empty(Device.cpu(), shapes[i]));
          float[] before = Seeds.normal(r, count(shapes[i]));
          befores.add(before);
          accs.add(ours(before, shapes[i]));
        }
        Tensor y = Tensor.empty(Device.cpu(), ys);
        TensorOps.concatChannels(xs, y);
        Tolerance.EXACT.assertClose("concat", array(ty), y.toArray(), seed);
        Tensor gdy = ours(dy, ys);
        TensorOps.splitChannels(gdy, dxs, false);
        TensorOps.splitChannels(gdy, accs, true);
        for (int i = 0; i < shapes.length; i++) {
          float[] expected = array(leaves.get(i).grad());
          Tolerance.EXACT.assertClose("split " + i, expected, dxs.get(i).toArray(), seed);
          for (int j = 0; j < expected.length; j++) expected[j] += befores.get(i)[j];
          Tolerance.EXACT.assertClose("split accumulate " + i, expected, accs.get(i).toArray(), seed);
        }
      }
    }
  }

  @Test
  void dropPathAndAddMatchLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : new int[][] {{64, 16, 32, 32}, {3, 5, 7, 7}, {1, 1, 1, 1}}) {
      int n = s[0];
      float keep = 0.8f;
      float[] x = Seeds.normal(r, count(s)), dy = Seeds.normal(r, count(s)), mask = new float[n];
      for (int i = 0; i < n; i++) mask[i] = r.nextBoolean() ? 1 : 0;
      org.bytedeco.pytorch.Tensor tx = leaf(x, s);
      org.bytedeco.pytorch.Tensor ty = tx.div(new Scalar(keep)).mul(torch(mask, n, 1, 1, 1));
      LayerTorch.backward(ty, dy, s);
      try (Scope scope = Scope.open()) {
        Tensor gx = ours(x, s), y = Tensor.empty(Device.cpu(), s), gm = ours(mask, n);
        TensorOps.dropPathForward(gx, gm, y, keep);
        Tolerance close = new Tolerance(0, 1e-6);
        close.assertClose("drop path forward", array(ty), y.toArray(), seed);
        Tensor dx = Tensor.empty(Device.cpu(), s);
        TensorOps.dropPathBackward(ours(dy, s), gm, dx, keep, false);
        close.assertClose("drop path backward", array(tx.grad()), dx.toArray(), seed);
        TensorOps.dropPathBackward(ours(dy, s), gm, dx, keep, true);
        float[] twice = array(tx.grad());
        for (int i = 0; i < twice.length; i++) twice[i] *= 2;
        close.assertClose("drop path backward accumulate", twice, dx.toArray(), seed);
        float[] b = Seeds.normal(r, count(s));
        Tensor sum = Tensor.empty(Device.cpu(), s);
        TensorOps.add(gx, ours(b, s), sum);
        Tolerance.EXACT.assertClose("add", array(torch.add(torch(x, s), torch(b, s))), sum.toArray(), seed);
      }
    }
  }

  @Test
  void misuseThrowsBeforeNativeCall() {
    try (Scope scope = Scope.open()) {
      Tensor a = Tensor.zeros(Device.cpu(), 2, 3, 4, 4), b = Tensor.zeros(Device.cpu(), 2, 5, 4, 4);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TensorOps.concatChannels(List.of(a, b), Tensor.zeros(Device.cpu(), 2, 9, 4, 4)));
      assertTrue(e.getMessage().contains("8 channels"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> TensorOps.concatChannels(List.of(a, Tensor.zeros(Device.cpu(), 2, 5, 4, 3)), Tensor.zeros(Device.cpu(), 2, 8, 4, 4)));
      assertTrue(e.getMessage().contains("xs[1]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> TensorOps.dropPathForward(a, Tensor.zeros(Device.cpu(), 2), a, 0f));
      assertTrue(e.getMessage().contains("keepProb"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> TensorOps.dropPathForward(a, Tensor.zeros(Device.cpu(), 3), a, 0.5f));
      assertTrue(e.getMessage().contains("mask"), e.getMessage());
    }
  }
}
