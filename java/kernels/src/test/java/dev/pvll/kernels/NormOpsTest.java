package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.array;
import static dev.pvll.kernels.LayerTorch.count;
import static dev.pvll.kernels.LayerTorch.leaf;
import static dev.pvll.kernels.LayerTorch.ours;
import static dev.pvll.kernels.LayerTorch.torch;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.Random;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batch norm against libtorch's torch.batch_norm (training and inference, with and without
 * affine parameters) on random inputs with an offset (mean far from 0). Tolerances: outputs,
 * dx and the statistics 1e-5 absolute + 1e-5 relative; dgamma/dbeta (sums over N*H*W values)
 * 1e-6 * sqrt(N*H*W) absolute + 1e-5 relative.
 */
class NormOpsTest {
  static final int[][] SHAPES = {{2, 5, 7, 7}, {64, 16, 32, 32}, {1, 13, 14, 14}, {3, 32, 16, 16}, {5, 3, 1, 1}};
  private static final Tolerance VALUES = new Tolerance(1e-5, 1e-5);

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void trainingForwardAndBackwardMatchLibtorch(boolean affine) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      int c = s[1], size = count(s);
      float[] x = LayerTorch.affine(Seeds.normal(r, size), 1.5f, 3f), dy = Seeds.normal(r, size);
      float[] gamma = Seeds.uniform(r, c, 0.5f, 1.5f), beta = Seeds.normal(r, c);
      float[] rm = Seeds.normal(r, c), rv = Seeds.uniform(r, c, 0.5f, 2f);
      float momentum = 0.1f, eps = 1e-5f;

      org.bytedeco.pytorch.Tensor tx = leaf(x, s), tg = leaf(gamma, c), tb = leaf(beta, c);
      org.bytedeco.pytorch.Tensor trm = torch(rm, c), trv = torch(rv, c);
      org.bytedeco.pytorch.Tensor ty = torch.batch_norm(tx, affine ? new TensorOptional(tg) : new TensorOptional(),
          affine ? new TensorOptional(tb) : new TensorOptional(), new TensorOptional(trm), new TensorOptional(trv),
          true, momentum, eps, false);
      LayerTorch.backward(ty, dy, s);

      try (Scope scope = Scope.open()) {
        Tensor gx = ours(x, s), gy = Tensor.empty(Device.cpu(), s), mean = Tensor.empty(Device.cpu(), c),
            invstd = Tensor.empty(Device.cpu(), c), grm = ours(rm, c), grv = ours(rv, c);
        Tensor gg = affine ? ours(gamma, c) : null, gb = affine ? ours(beta, c) : null;
        NormOps.batchNormTrainForward(gx, gg, gb, gy, mean, invstd, grm, grv, momentum, eps);
        String what = "batch norm " + java.util.Arrays.toString(s) + (affine ? " affine" : "");
        VALUES.assertClose(what + " y", array(ty), gy.toArray(), seed);
        VALUES.assertClose(what + " running mean", array(trm), grm.toArray(), seed);
        VALUES.assertClose(what + " running var", array(trv), grv.toArray(), seed);

        Tensor dx = Tensor.empty(Device.cpu(), s), dg = affine ? Tensor.empty(Device.cpu(), c) : null,
            db = affine ? Tensor.empty(Device.cpu(), c) : null;
        NormOps.batchNormBackward(gx, ours(dy, s), mean, invstd, gg, dx, dg, db, false);
        VALUES.assertClose(what + " dx", array(tx.grad()), dx.toArray(), seed);
        if (affine) {
          Tolerance sums = new Tolerance(1e-6 * Math.sqrt((double) size / c), 1e-5);
          sums.assertClose(what + " dgamma", array(tg.grad()), dg.toArray(), seed);
          sums.assertClose(what + " dbeta", array(tb.grad()), db.toArray(), seed);
        }
        // Accumulating adds the same gradient on top of what is there.
        float[] before = Seeds.normal(r, size), expected = array(tx.grad());
        for (int i = 0; i < size; i++) expected[i] += before[i];
        Tensor acc = ours(before, s);
        NormOps.batchNormBackward(gx, ours(dy, s), mean, invstd, gg, acc, null, null, true);
        VALUES.assertClose(what + " dx accumulate", expected, acc.toArray(), seed);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void inferenceForwardMatchesLibtorch(boolean affine) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int[] s : SHAPES) {
      int c = s[1], size = count(s);
      float[] x = Seeds.normal(r, size), gamma = Seeds.normal(r, c), beta = Seeds.normal(r, c);
      float[] rm = Seeds.normal(r, c), rv = Seeds.uniform(r, c, 0.5f, 2f);
      org.bytedeco.pytorch.Tensor ty = torch.batch_norm(torch(x, s),
          affine ? new TensorOptional(torch(gamma, c)) : new TensorOptional(),
          affine ? new TensorOptional(torch(beta, c)) : new TensorOptional(), new TensorOptional(torch(rm, c)),
          new TensorOptional(torch(rv, c)), false, 0.1, 1e-5, false);
      try (Scope scope = Scope.open()) {
        Tensor gx = ours(x, s);
        NormOps.batchNormInferenceForward(gx, affine ? ours(gamma, c) : null, affine ? ours(beta, c) : null,
            ours(rm, c), ours(rv, c), gx, 1e-5f);  // in place
        VALUES.assertClose("batch norm inference " + java.util.Arrays.toString(s), array(ty), gx.toArray(), seed);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.pvll.testing.TestDevices#all")
  void misuseThrowsBeforeNativeCall(Device device) {
    TestDevices.assumePresent(device);
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.zeros(device, 2, 3, 4, 4), y = Tensor.zeros(device, 2, 3, 4, 4);
      Tensor m = Tensor.zeros(device, 3), v = Tensor.zeros(device, 3), wrong = Tensor.zeros(device, 4);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> NormOps.batchNormTrainForward(x, wrong, null, y, m, v, null, null, 0.1f, 1e-5f));
      assertTrue(e.getMessage().contains("batch_norm_train_forward") && e.getMessage().contains("gamma"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NormOps.batchNormTrainForward(x, null, null, y, m, v, m, null, 0.1f, 1e-5f));
      assertTrue(e.getMessage().contains("runningVar"), e.getMessage());
      Tensor one = Tensor.zeros(device, 1, 3, 1, 1);
      e = assertThrows(IllegalArgumentException.class,
          () -> NormOps.batchNormTrainForward(one, null, null, one, m, v, null, null, 0.1f, 1e-5f));
      assertTrue(e.getMessage().contains("more than 1 value"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> NormOps.batchNormBackward(x, Tensor.zeros(device, 2, 3, 4, 5), m, v, null, y, null, null, false));
      y.close();
      assertThrows(IllegalStateException.class,
          () -> NormOps.batchNormTrainForward(x, null, null, y, m, v, null, null, 0.1f, 1e-5f));
      Tensor y2 = Tensor.zeros(device, 2, 3, 4, 4); // valid arguments run on either device
      NormOps.batchNormTrainForward(x, null, null, y2, m, v, null, null, 0.1f, 1e-5f);
    }
  }
}
