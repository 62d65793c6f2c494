package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuSamplingKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Random sampling ops on the counter-based Philox stream of native/include/pvll_gumbel.h (see
 * {@link Philox} for a Java mirror). A (seed, counter) pair always gives the same draw on every
 * device and thread count (on CUDA up to, rarely, one float ulp of the double logarithm, so
 * the sampled op indices agree); different counters give independent draws. The Gumbel
 * variate is {@code g = -log(-log U)} with {@code U = (u + 0.5) * 2^-32} in double, rounded to
 * float, so U is never 0 or 1 and g lies in about [-3.1, 22.9]. The numbers differ from
 * PyTorch's generator; the distributions are the same.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op and
 * argument): no required tensor is null; all are on one device; the shapes stated; tau positive
 * and finite; offset at least 0; no output overlaps an input or another output (checked on the
 * addresses). A closed tensor throws {@link IllegalStateException}; a native failure
 * {@link KernelException}. On CUDA the ops are enqueued on the ops' stream and return at once.
 */
public final class SamplingOps {
  private SamplingOps() {}

  /**
   * The fused Gumbel-softmax + argmax, row by row over a [rows, cols] matrix: with g the Gumbel
   * noise of draw (seed, counter) at element r * cols + c, writes
   * {@code weightsOut[r, :] = softmax((logits[r, :] + g[r, :]) / tau)} and
   * {@code indicesOut[r] = argmax_c (logits[r, c] + g[r, c])} (as a float; the first on ties),
   * and g itself into {@code gumbelOut} when it is not null. Softmax and argmax are computed in
   * double. The argmax is distributed as softmax(logits[r, :]) whatever tau is. The weights are
   * the forward of {@code F.gumbel_softmax(logits, tau, hard=False)} with this noise instead of
   * torch's, and the index that of {@code hard=True}.
   *
   * @param logits [rows, cols], cols &gt;= 1
   * @param seed the stream's key
   * @param counter the draw's 64-bit sample counter
   * @param tau temperature, positive and finite
   * @param gumbelOut [rows, cols] or null
   * @param weightsOut [rows, cols]
   * @param indicesOut [rows]
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void gumbelSoftmaxArgmax(
      Tensor logits, long seed, long counter, float tau, Tensor gumbelOut, Tensor weightsOut, Tensor indicesOut) {
    String op = "gumbel_softmax_argmax";
    Device d = gumbelOut == null
        ? Checks.sameDevice(op, logits, weightsOut, indicesOut)
        : Checks.sameDevice(op, logits, gumbelOut, weightsOut, indicesOut);
    Checks.rank(op, "logits", logits, 2);
    int rows = logits.dim(0), cols = logits.dim(1);
    if (cols < 1) throw new IllegalArgumentException(op + ": logits need at least one column, got shape [" + rows + ", 0]");
    if (!(tau > 0f) || Float.isInfinite(tau)) throw new IllegalArgumentException(op + ": tau must be positive and finite, got " + tau);
    Checks.shape(op, "weightsOut", weightsOut, rows, cols);
    Checks.shape(op, "indicesOut", indicesOut, rows);
    if (gumbelOut != null) Checks.shape(op, "gumbelOut", gumbelOut, rows, cols);
    Checks.outputsApart(op, new String[] {"weightsOut", "indicesOut", "gumbelOut"},
        new Tensor[] {weightsOut, indicesOut, gumbelOut}, new String[] {"logits"}, new Tensor[] {logits});
    long gumbel = gumbelOut == null ? 0L : gumbelOut.address();
    if (d.isCpu()) {
      Native.cpu(op, CpuSamplingKernels.pvll_gumbel_softmax_argmax(logits.address(), rows, cols, seed, counter, tau,
          gumbel, weightsOut.address(), indicesOut.address()));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_gumbel_softmax_argmax(logits.address(), rows, cols, seed, counter, tau,
          gumbel, weightsOut.address(), indicesOut.address(), 0));
    }
  }

  /**
   * out[i] = Gumbel noise of element (offset + i) of draw (seed, counter), over out's flat
   * values (any shape); {@link Philox#gumbel(long, long, long, float[])} computes the same in
   * Java.
   *
   * @param seed the stream's key
   * @param counter the draw's 64-bit sample counter
   * @param offset element of the draw that out[0] receives, at least 0
   * @param out output, overwritten
   * @throws IllegalArgumentException when out is null or offset is negative
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void gumbelNoise(long seed, long counter, long offset, Tensor out) {
    String op = "gumbel_noise";
    Device d = Checks.sameDevice(op, out);
    if (offset < 0) throw new IllegalArgumentException(op + ": offset must be >= 0, got " + offset);
    if (d.isCpu()) {
      Native.cpu(op, CpuSamplingKernels.pvll_gumbel_noise(seed, counter, offset, out.size(), out.address()));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_gumbel_noise(seed, counter, offset, out.size(), out.address(), 0));
    }
  }
}
