package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the CPU layer kernels of libpvll.so: batch norm, pooling, linear, loss,
 * tensor ops and optimisers (native/include/pvll_{norm,pool,linear,loss,tensor_ops,optim}.h).
 * Pointers travel as {@code long} addresses (0 for NULL); arrays of pointers as {@code long[]};
 * every function returns a pvll status. Use the *Ops classes of dev.pvll.kernels instead.
 */
@Platform(
    include = {"pvll_norm.h", "pvll_pool.h", "pvll_linear.h", "pvll_loss.h", "pvll_tensor_ops.h", "pvll_optim.h"},
    link = "pvll")
public final class CpuLayerKernels {
  static {
    Loader.load();
  }

  private CpuLayerKernels() {}

  // ---- batch norm
  public static native int pvll_batch_norm_train_forward(
      @Cast("const float*") long x, @Cast("const float*") long gamma, @Cast("const float*") long beta,
      @Cast("float*") long y, @Cast("float*") long saveMean, @Cast("float*") long saveInvStd,
      @Cast("float*") long runningMean, @Cast("float*") long runningVar, long n, long c, long hw, float momentum,
      float eps);

  public static native int pvll_batch_norm_inference_forward(
      @Cast("const float*") long x, @Cast("const float*") long gamma, @Cast("const float*") long beta,
      @Cast("const float*") long runningMean, @Cast("const float*") long runningVar, @Cast("float*") long y, long n,
      long c, long hw, float eps);

  public static native int pvll_batch_norm_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("const float*") long gamma, @Cast("float*") long dx,
      @Cast("float*") long dgamma, @Cast("float*") long dbeta, long n, long c, long hw, int accumulateDx);

  // ---- synchronised batch norm (double buffers of 2c + 1)
  public static native int pvll_batch_norm_stats(
      @Cast("const float*") long x, @Cast("double*") long stats, long n, long c, long hw);

  public static native int pvll_batch_norm_stats_finish(
      @Cast("const double*") long stats, @Cast("float*") long saveMean, @Cast("float*") long saveVar,
      @Cast("float*") long saveInvStd, @Cast("float*") long runningMean, @Cast("float*") long runningVar, long c,
      float momentum, float eps);

  public static native int pvll_batch_norm_backward_stats(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("double*") long sums, @Cast("float*") long dgamma,
      @Cast("float*") long dbeta, long n, long c, long hw);

  public static native int pvll_batch_norm_backward_apply(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("const float*") long gamma, @Cast("const double*") long sums,
      @Cast("float*") long dx, long n, long c, long hw, int accumulateDx);

  // ---- pooling
  public static native int pvll_max_pool3x3_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long h, long w, int stride);

  public static native int pvll_max_pool3x3_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long h, long w,
      int stride, int accumulate);

  public static native int pvll_avg_pool3x3_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long h, long w, int stride);

  public static native int pvll_avg_pool3x3_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long h, long w, int stride, int accumulate);

  public static native int pvll_global_avg_pool_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long hw);

  public static native int pvll_global_avg_pool_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long hw, int accumulate);

  // ---- linear
  public static native int pvll_linear_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long b, @Cast("float*") long y,
      long n, long in, long out);

  public static native int pvll_linear_backward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long dy,
      @Cast("float*") long dx, @Cast("float*") long dw, @Cast("float*") long db, long n, long in, long out,
      int accumulate);

  // ---- loss
  public static native int pvll_softmax_cross_entropy(
      @Cast("const float*") long logits, @Cast("const float*") long labels, @Cast("float*") long lossOut,
      @Cast("float*") long correctOut, @Cast("float*") long dlogits, long n, long k);

  // ---- tensor ops
  public static native int pvll_concat_channels(
      @Cast("const float* const*") long[] xs, @Cast("const int64_t*") long[] channels, int count,
      @Cast("float*") long y, long n, long hw);

  public static native int pvll_split_channels(
      @Cast("const float*") long dy, @Cast("float* const*") long[] dxs, @Cast("const int64_t*") long[] channels,
      int count, long n, long hw, int accumulate);

  public static native int pvll_drop_path_forward(
      @Cast("const float*") long x, @Cast("const float*") long mask, @Cast("float*") long y, long n, long perSample,
      float keepProb);

  public static native int pvll_drop_path_backward(
      @Cast("const float*") long dy, @Cast("const float*") long mask, @Cast("float*") long dx, long n, long perSample,
      float keepProb, int accumulate);

  public static native int pvll_add(
      @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y, long count);

  // ---- optimisers
  public static native int pvll_sgd_step(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long momentumBuf, long n, float lr,
      float momentum, float weightDecay);

  public static native int pvll_adam_step(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long m, @Cast("float*") long v,
      long n, long step, float lr, float beta1, float beta2, float eps, float weightDecay);

  public static native int pvll_sum_squares(
      @Cast("const float* const*") long[] buffers, @Cast("const int64_t*") long[] sizes, int count, double[] out);

  public static native int pvll_scale_buffers(
      @Cast("float* const*") long[] buffers, @Cast("const int64_t*") long[] sizes, int count, float alpha);
}
