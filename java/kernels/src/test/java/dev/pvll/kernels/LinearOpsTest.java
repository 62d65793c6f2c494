package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.array;
import static dev.pvll.kernels.LayerTorch.leaf;
import static dev.pvll.kernels.LayerTorch.ours;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Linear layer against libtorch's torch.linear and its autograd on unit-normal inputs. Both
 * sides round float sums of k products (partial sums of size sqrt(k)) in different orders, so
 * the tolerance is 2e-7 * k absolute + 1e-5 relative, k the length of the reduction (in, out
 * or N): 1.5e-4 at k = 768, where the outputs are about 28 in size.
 */
class LinearOpsTest {
  static final int[][] SHAPES = {{64, 256, 10}, {1, 7, 3}, {13, 33, 17}, {96, 768, 10}, {64, 16, 64}, {64, 24, 1}};

  static Tolerance sumOf(int k) {
    return new Tolerance(2e-7 * k, 1e-5);
  }

  @Test
  void forwardAndBackwardMatchLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      for (boolean bias : new boolean[] {true, false}) {
        int n = s[0], in = s[1], out = s[2];
        float[] x = Seeds.normal(r, n * in), w = Seeds.normal(r, out * in), b = Seeds.normal(r, out),
            dy = Seeds.normal(r, n * out);
        org.bytedeco.pytorch.Tensor tx = leaf(x, n, in), tw = leaf(w, out, in), tb = leaf(b, out);
        org.bytedeco.pytorch.Tensor ty = bias ? torch.linear(tx, tw, tb) : torch.linear(tx, tw);
        LayerTorch.backward(ty, dy, n, out);
        String what = "linear " + n + "x" + in + "->" + out + (bias ? " with bias" : "");
        try (Scope scope = Scope.open()) {
          Tensor gx = ours(x, n, in), gw = ours(w, out, in), gb = bias ? ours(b, out) : null;
          Tensor gy = Tensor.empty(Device.cpu(), n, out);
          LinearOps.linearForward(gx, gw, gb, gy);
          sumOf(in).assertClose(what + " forward", array(ty), gy.toArray(), seed);
          Tensor dx = Tensor.empty(Device.cpu(), n, in), dw = Tensor.empty(Device.cpu(), out, in),
              db = Tensor.empty(Device.cpu(), out);
          LinearOps.linearBackward(gx, gw, ours(dy, n, out), dx, dw, db, false);
          sumOf(out).assertClose(what + " dx", array(tx.grad()), dx.toArray(), seed);
          sumOf(n).assertClose(what + " dw", array(tw.grad()), dw.toArray(), seed);
          if (bias) sumOf(n).assertClose(what + " db", array(tb.grad()), db.toArray(), seed);
          // Accumulating twice gives twice the gradient; dx may be left out.
          LinearOps.linearBackward(gx, gw, ours(dy, n, out), null, dw, db, true);
          float[] twice = array(tw.grad());
          for (int i = 0; i < twice.length; i++) twice[i] *= 2;
          sumOf(n).assertClose(what + " dw accumulate", twice, dw.toArray(), seed);
        }
      }
    }
  }

  @Test
  void misuseThrowsBeforeNativeCall() {
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.zeros(Device.cpu(), 4, 5), w = Tensor.zeros(Device.cpu(), 3, 6), y = Tensor.zeros(Device.cpu(), 4, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinearOps.linearForward(x, w, null, y));
      assertTrue(e.getMessage().contains("linear_forward") && e.getMessage().contains("w"), e.getMessage());
      Tensor w2 = Tensor.zeros(Device.cpu(), 3, 5);
      e = assertThrows(IllegalArgumentException.class,
          () -> LinearOps.linearForward(x, w2, Tensor.zeros(Device.cpu(), 4), y));
      assertTrue(e.getMessage().contains("b"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> LinearOps.linearBackward(x, w2, y, null, null, null, false));
      assertTrue(e.getMessage().contains("dw"), e.getMessage());
    }
  }
}
