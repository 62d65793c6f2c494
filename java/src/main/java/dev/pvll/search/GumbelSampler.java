package dev.pvll.search;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.Philox;
import dev.pvll.kernels.SamplingOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;

/**
 * Draws architectures with Gumbel-softmax on the kernels' Philox stream
 * (native/include/pvll_gumbel.h): for draw (seed, counter), g[e] is the stream's element e of
 * the flat [rows, ops] encoding, H = softmax((logits + g) / tau) per row and the chosen op is
 * argmax_k (logits + g)[k].
 *
 * <p>Two paths give the same draw: {@link #sampleJava} in plain Java doubles (the default: no
 * native call for 224 numbers), and {@link #sampleKernel}, the fused CPU kernel in float32. They
 * agree on g (the same stream) and the chosen ops, and on H to float precision.
 */
public final class GumbelSampler {
  private GumbelSampler() {}

  /** The draw in Java doubles. {@code logits} is [rows * ops]; tau > 0. */
  public static Architecture sampleJava(ArchEncoding enc, double[] logits, long seed, long counter, double tau) {
    enc.checkSize("logits", logits);
    checkTau(tau);
    float[] noise = new float[enc.size()];
    Philox.gumbel(seed, counter, 0, noise);
    double[] g = new double[noise.length], h = new double[noise.length];
    for (int i = 0; i < g.length; i++) g[i] = noise[i];
    int rows = enc.rows(), cols = enc.ops();
    int[] ops = new int[rows];
    double[] edge = new double[rows];
    for (int r = 0; r < rows; r++) {
      int o = r * cols, best = 0;
      for (int c = 0; c < cols; c++) {
        h[o + c] = (logits[o + c] + g[o + c]) / tau;
        if (h[o + c] > h[o + best]) best = c;
      }
      double top = h[o + best], sum = 0;
      for (int c = 0; c < cols; c++) sum += h[o + c] = Math.exp(h[o + c] - top);
      for (int c = 0; c < cols; c++) h[o + c] /= sum;
      ops[r] = best;
      edge[r] = h[o + best];
    }
    return new Architecture(enc, counter, g, h, ops, edge);
  }

  /** The draw by the fused CPU kernel {@link SamplingOps#gumbelSoftmaxArgmax} (float32 inside). */
  public static Architecture sampleKernel(ArchEncoding enc, double[] logits, long seed, long counter, double tau) {
    enc.checkSize("logits", logits);
    checkTau(tau);
    int rows = enc.rows(), cols = enc.ops();
    float[] x = new float[logits.length];
    for (int i = 0; i < x.length; i++) x[i] = (float) logits[i];
    float[] gf, wf, idx;
    try (Scope s = Scope.open()) {
      Tensor tx = Tensor.of(Device.cpu(), x, rows, cols);
      Tensor tg = Tensor.empty(Device.cpu(), rows, cols), tw = Tensor.empty(Device.cpu(), rows, cols);
      Tensor ti = Tensor.empty(Device.cpu(), rows);
      SamplingOps.gumbelSoftmaxArgmax(tx, seed, counter, (float) tau, tg, tw, ti);
      gf = tg.toArray();
      wf = tw.toArray();
      idx = ti.toArray();
    }
    double[] g = new double[gf.length], h = new double[wf.length], edge = new double[rows];
    int[] ops = new int[rows];
    for (int i = 0; i < g.length; i++) {
      g[i] = gf[i];
      h[i] = wf[i];
    }
    for (int r = 0; r < rows; r++) {
      ops[r] = (int) idx[r];
      edge[r] = h[r * cols + ops[r]];
    }
    return new Architecture(enc, counter, g, h, ops, edge);
  }

  static void checkTau(double tau) {
    if (!(tau > 0) || Double.isInfinite(tau)) throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
  }
}
