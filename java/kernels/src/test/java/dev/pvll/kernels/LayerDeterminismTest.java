package dev.pvll.kernels;

import static dev.pvll.kernels.LayerTorch.count;
import static dev.pvll.kernels.LayerTorch.ours;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every layer op run with 1 and with 2 threads on inputs large enough to be split, expecting
 * bit-identical results: the reductions (batch-norm statistics and gradients, weight
 * gradients, loss, norms) combine their partials in a fixed order.
 */
class LayerDeterminismTest {
  @AfterEach
  void restoreThreads() {
    CpuInfo.setThreads(2);
  }

  @Test
  void everyOpGivesTheSameBitsWithOneAndTwoThreads() {
    long seed = Seeds.next();
    Map<String, Supplier<float[]>> ops = ops(new Random(seed));
    try (Scope scope = Scope.open()) {
      Map<String, float[]> one = new LinkedHashMap<>();
      CpuInfo.setThreads(1);
      for (var e : ops.entrySet()) one.put(e.getKey(), e.getValue().get());
      CpuInfo.setThreads(2);
      assertEquals(2, CpuInfo.threads());
      for (var e : ops.entrySet()) Tolerance.EXACT.assertClose(e.getKey() + ", 1 vs 2 threads", one.get(e.getKey()), e.getValue().get(), seed);
    }
  }

  /** Each op as a function from fixed inputs to its outputs (concatenated). */
  private static Map<String, Supplier<float[]>> ops(Random r) {
    Map<String, Supplier<float[]>> ops = new LinkedHashMap<>();
    int[] s = {64, 16, 32, 32};
    int c = s[1], size = count(s);
    float[] x = Seeds.normal(r, size), dy = Seeds.normal(r, size), gamma = Seeds.normal(r, c), beta = Seeds.normal(r, c);
    ops.put("batch norm train forward + backward", () -> {
      Tensor gx = ours(x, s), y = Tensor.empty(Device.cpu(), s), m = Tensor.empty(Device.cpu(), c),
          v = Tensor.empty(Device.cpu(), c), rm = Tensor.zeros(Device.cpu(), c), rv = Tensor.zeros(Device.cpu(), c),
          g = ours(gamma, c), dx = Tensor.empty(Device.cpu(), s), dg = Tensor.empty(Device.cpu(), c),
          db = Tensor.empty(Device.cpu(), c);
      NormOps.batchNormTrainForward(gx, g, ours(beta, c), y, m, v, rm, rv, 0.1f, 1e-5f);
      NormOps.batchNormBackward(gx, ours(dy, s), m, v, g, dx, dg, db, false);
      return join(y, m, v, rm, rv, dx, dg, db);
    });
    ops.put("batch norm inference", () -> {
      Tensor y = Tensor.empty(Device.cpu(), s);
      NormOps.batchNormInferenceForward(ours(x, s), ours(gamma, c), ours(beta, c), ours(beta, c),
          Tensor.full(Device.cpu(), 2f, c), y, 1e-5f);
      return y.toArray();
    });
    for (int stride : new int[] {1, 2}) {
      int[] so = {s[0], s[1], (s[2] - 1) / stride + 1, (s[3] - 1) / stride + 1};
      float[] g = Seeds.normal(r, count(so));
      ops.put("pools stride " + stride, () -> {
        Tensor gx = ours(x, s), my = Tensor.empty(Device.cpu(), so), ay = Tensor.empty(Device.cpu(), so),
            mdx = Tensor.empty(Device.cpu(), s), adx = ours(dy, s);
        PoolOps.maxPool3x3Forward(gx, my, stride);
        PoolOps.avgPool3x3Forward(gx, ay, stride);
        PoolOps.maxPool3x3Backward(gx, ours(g, so), mdx, stride, false);
        PoolOps.avgPool3x3Backward(ours(g, so), adx, stride, true);
        return join(my, ay, mdx, adx);
      });
    }
    float[] pooled = Seeds.normal(r, s[0] * c);
    ops.put("global average pool", () -> {
      Tensor y = Tensor.empty(Device.cpu(), s[0], c), dx = Tensor.empty(Device.cpu(), s);
      PoolOps.globalAvgPoolForward(ours(x, s), y);
      PoolOps.globalAvgPoolBackward(ours(pooled, s[0], c), dx, false);
      return join(y, dx);
    });
    int n = 256, in = 768, out = 10;
    float[] lx = Seeds.normal(r, n * in), lw = Seeds.normal(r, out * in), lb = Seeds.normal(r, out),
        ldy = Seeds.normal(r, n * out);
    ops.put("linear", () -> {
      Tensor y = Tensor.empty(Device.cpu(), n, out), dx = Tensor.empty(Device.cpu(), n, in),
          dw = Tensor.empty(Device.cpu(), out, in), db = Tensor.empty(Device.cpu(), out);
      Tensor gx = ours(lx, n, in), gw = ours(lw, out, in);
      LinearOps.linearForward(gx, gw, ours(lb, out), y);
      LinearOps.linearBackward(gx, gw, ours(ldy, n, out), dx, dw, db, false);
      return join(y, dx, dw, db);
    });
    int rows = 4000, classes = 100;
    float[] logits = Seeds.normal(r, rows * classes), labels = new float[rows];
    for (int i = 0; i < rows; i++) labels[i] = r.nextInt(classes);
    ops.put("softmax cross-entropy", () -> {
      Tensor loss = Tensor.empty(Device.cpu(), 1), correct = Tensor.empty(Device.cpu(), 1),
          dz = Tensor.empty(Device.cpu(), rows, classes);
      LossOps.softmaxCrossEntropy(ours(logits, rows, classes), ours(labels, rows), loss, correct, dz);
      return join(loss, correct, dz);
    });
    float[] mask = new float[s[0]];
    for (int i = 0; i < mask.length; i++) mask[i] = r.nextBoolean() ? 1 : 0;
    ops.put("concat, split, drop path, add", () -> {
      int[] half = {s[0], c / 2, s[2], s[3]};
      Tensor a = ours(x, s).view(0, half), b = ours(dy, s).view(0, half);
      Tensor y = Tensor.empty(Device.cpu(), s), da = Tensor.zeros(Device.cpu(), half), db = ours(x, s).view(0, half);
      TensorOps.concatChannels(List.of(a, b), y);
      TensorOps.splitChannels(ours(dy, s), List.of(da, db), true);
      Tensor dp = Tensor.empty(Device.cpu(), s), dpb = ours(x, s), sum = Tensor.empty(Device.cpu(), s);
      TensorOps.dropPathForward(y, ours(mask, s[0]), dp, 0.8f);
      TensorOps.dropPathBackward(ours(dy, s), ours(mask, s[0]), dpb, 0.8f, true);
      TensorOps.add(y, dp, sum);
      return join(y, da, db, dp, dpb, sum);
    });
    int params = 1_000_003;
    float[] p = Seeds.normal(r, params), grad = Seeds.normal(r, params);
    ops.put("optimisers and norms", () -> {
      Tensor sp = ours(p, params), buf = Tensor.zeros(Device.cpu(), params), ap = ours(p, params),
          m = Tensor.zeros(Device.cpu(), params), v = Tensor.zeros(Device.cpu(), params), g = ours(grad, params);
      OptimOps.sgdStep(sp, g, buf, 0.025f, 0.9f, 3e-4f);
      OptimOps.adamStep(ap, g, m, v, 1, 1e-3f, 0.5f, 0.999f, 1e-8f, 1e-3f);
      List<Tensor> parts = new ArrayList<>();
      for (int off = 0; off + 77_777 <= params; off += 77_777) parts.add(g.view(off, 77_777));
      double norm = OptimOps.gradNorm(parts);
      double clipped = OptimOps.clipGradNorm(1f, parts);
      return join(sp, buf, ap, m, v, g, Tensor.of(Device.cpu(), new float[] {(float) norm, (float) (norm - clipped),
          (float) (norm - (float) norm) * 1e6f}, 3));
    });
    return ops;
  }

  private static float[] join(Tensor... ts) {
    long total = 0;
    for (Tensor t : ts) total += t.size();
    float[] out = new float[(int) total];
    int at = 0;
    for (Tensor t : ts) {
      float[] a = t.toArray();
      System.arraycopy(a, 0, out, at, a.length);
      at += a.length;
    }
    return out;
  }
}
