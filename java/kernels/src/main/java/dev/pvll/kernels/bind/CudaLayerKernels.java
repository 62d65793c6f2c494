package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the CUDA layer ops of libpvll_cuda.so (native/include/pvll_cuda_layers.h):
 * batch norm, pools, crops, linear, cross-entropy, tensor ops, optimisers, Gumbel sampling, and
 * pinned memory, streams and events. Device pointers, streams and events travel as {@code long}
 * (0 for NULL, stream 0 = the legacy default stream); arrays of device pointers as host
 * {@code long[]}. Every function returns a pvll status, with the message in
 * {@link CudaKernels#pvll_cuda_last_error()}. Use the *Ops classes of dev.pvll.kernels instead.
 */
@Platform(include = "pvll_cuda_layers.h", link = "pvll_cuda")
public final class CudaLayerKernels {
  static {
    CudaLibrary.load(CudaLayerKernels.class);
  }

  private CudaLayerKernels() {}

  // ---- pinned host memory, streams, events
  public static native int pvll_cuda_host_alloc_pinned(long bytes, @Cast("void**") long[] out);

  public static native int pvll_cuda_host_free_pinned(@Cast("void*") long ptr);

  public static native int pvll_cuda_stream_create(int device, @Cast("void**") long[] stream);

  public static native int pvll_cuda_stream_destroy(int device, @Cast("void*") long stream);

  public static native int pvll_cuda_stream_synchronize(int device, @Cast("void*") long stream);

  public static native int pvll_cuda_event_create(int device, @Cast("void**") long[] event);

  public static native int pvll_cuda_event_destroy(int device, @Cast("void*") long event);

  public static native int pvll_cuda_event_record(int device, @Cast("void*") long event, @Cast("void*") long stream);

  public static native int pvll_cuda_event_synchronize(int device, @Cast("void*") long event);

  public static native int pvll_cuda_stream_wait_event(int device, @Cast("void*") long stream, @Cast("void*") long event);

  public static native int pvll_cuda_copy_to_device_async(
      int device, @Cast("const float*") long host, @Cast("float*") long dev, long count, @Cast("void*") long stream);

  public static native int pvll_cuda_read_doubles(
      int device, @Cast("const double*") long dev, double[] host, int count, @Cast("void*") long stream);

  // ---- batch norm
  public static native int pvll_cuda_batch_norm_train_forward(
      @Cast("const float*") long x, @Cast("const float*") long gamma, @Cast("const float*") long beta,
      @Cast("float*") long y, @Cast("float*") long saveMean, @Cast("float*") long saveInvStd,
      @Cast("float*") long runningMean, @Cast("float*") long runningVar, long n, long c, long hw, float momentum,
      float eps, @Cast("void*") long stream);

  public static native int pvll_cuda_batch_norm_inference_forward(
      @Cast("const float*") long x, @Cast("const float*") long gamma, @Cast("const float*") long beta,
      @Cast("const float*") long runningMean, @Cast("const float*") long runningVar, @Cast("float*") long y, long n,
      long c, long hw, float eps, @Cast("void*") long stream);

  public static native int pvll_cuda_batch_norm_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("const float*") long gamma, @Cast("float*") long dx,
      @Cast("float*") long dgamma, @Cast("float*") long dbeta, long n, long c, long hw, int accumulateDx,
      @Cast("void*") long stream);

  // ---- synchronised batch norm (device double buffers of 2c + 1)
  public static native int pvll_cuda_batch_norm_stats(
      @Cast("const float*") long x, @Cast("double*") long stats, long n, long c, long hw, @Cast("void*") long stream);

  public static native int pvll_cuda_batch_norm_stats_finish(
      @Cast("const double*") long stats, @Cast("float*") long saveMean, @Cast("float*") long saveVar,
      @Cast("float*") long saveInvStd, @Cast("float*") long runningMean, @Cast("float*") long runningVar, long c,
      float momentum, float eps, @Cast("void*") long stream);

  public static native int pvll_cuda_batch_norm_backward_stats(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("double*") long sums, @Cast("float*") long dgamma,
      @Cast("float*") long dbeta, long n, long c, long hw, @Cast("void*") long stream);

  public static native int pvll_cuda_batch_norm_backward_apply(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("const float*") long saveMean,
      @Cast("const float*") long saveInvStd, @Cast("const float*") long gamma, @Cast("const double*") long sums,
      @Cast("float*") long dx, long n, long c, long hw, int accumulateDx, @Cast("void*") long stream);

  // ---- pooling and crops
  public static native int pvll_cuda_max_pool3x3_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long h, long w, int stride,
      @Cast("void*") long stream);

  public static native int pvll_cuda_max_pool3x3_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long h, long w,
      int stride, int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_avg_pool3x3_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long h, long w, int stride,
      @Cast("void*") long stream);

  public static native int pvll_cuda_avg_pool3x3_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long h, long w, int stride, int accumulate,
      @Cast("void*") long stream);

  public static native int pvll_cuda_global_avg_pool_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long planes, long hw, @Cast("void*") long stream);

  public static native int pvll_cuda_global_avg_pool_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, long planes, long hw, int accumulate,
      @Cast("void*") long stream);

  public static native int pvll_cuda_avg_pool_forward(
      @Cast("const float*") long x, @Cast("float*") long y, int n, int c, int h, int w, int k, int s, int p,
      @Cast("void*") long stream);

  public static native int pvll_cuda_avg_pool_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, int n, int c, int h, int w, int k, int s, int p,
      int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_crop_forward(
      @Cast("const float*") long x, @Cast("float*") long y, int n, int c, int h, int w, int top, int left, int oh,
      int ow, @Cast("void*") long stream);

  public static native int pvll_cuda_crop_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, int n, int c, int h, int w, int top, int left, int oh,
      int ow, int accumulate, @Cast("void*") long stream);

  // ---- linear and loss
  public static native int pvll_cuda_linear_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long b, @Cast("float*") long y,
      long n, long in, long out, @Cast("void*") long stream);

  public static native int pvll_cuda_linear_backward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long dy,
      @Cast("float*") long dx, @Cast("float*") long dw, @Cast("float*") long db, long n, long in, long out,
      int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_softmax_cross_entropy(
      @Cast("const float*") long logits, @Cast("const float*") long labels, @Cast("float*") long lossOut,
      @Cast("float*") long correctOut, @Cast("float*") long dlogits, long n, long k, @Cast("void*") long stream);

  // ---- tensor ops
  public static native int pvll_cuda_concat_channels(
      @Cast("const float* const*") long[] xs, @Cast("const int64_t*") long[] channels, int count,
      @Cast("float*") long y, long n, long hw, @Cast("void*") long stream);

  public static native int pvll_cuda_split_channels(
      @Cast("const float*") long dy, @Cast("float* const*") long[] dxs, @Cast("const int64_t*") long[] channels,
      int count, long n, long hw, int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_drop_path_forward(
      @Cast("const float*") long x, @Cast("const float*") long mask, @Cast("float*") long y, long n, long perSample,
      float keepProb, @Cast("void*") long stream);

  public static native int pvll_cuda_drop_path_backward(
      @Cast("const float*") long dy, @Cast("const float*") long mask, @Cast("float*") long dx, long n, long perSample,
      float keepProb, int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_add(
      @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y, long count,
      @Cast("void*") long stream);

  public static native int pvll_cuda_dot(
      @Cast("const float*") long a, @Cast("const float*") long b, long n, @Cast("double*") long out,
      @Cast("void*") long stream);

  // ---- optimisers
  public static native int pvll_cuda_sgd_step(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long momentumBuf, long n, float lr,
      float momentum, float weightDecay, @Cast("void*") long stream);

  public static native int pvll_cuda_adam_step(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long m, @Cast("float*") long v,
      long n, long step, float lr, float beta1, float beta2, float eps, float weightDecay, @Cast("void*") long stream);

  public static native int pvll_cuda_sum_squares(
      @Cast("const float* const*") long[] buffers, @Cast("const int64_t*") long[] sizes, int count,
      @Cast("double*") long out, @Cast("void*") long stream);

  public static native int pvll_cuda_scale_buffers(
      @Cast("float* const*") long[] buffers, @Cast("const int64_t*") long[] sizes, int count, float alpha,
      @Cast("void*") long stream);

  public static native int pvll_cuda_clip_grad_norm(
      @Cast("float* const*") long[] buffers, @Cast("const int64_t*") long[] sizes, int count, float maxNorm,
      @Cast("double*") long normOut, @Cast("void*") long stream);

  // ---- sampling
  public static native int pvll_cuda_gumbel_noise(
      @Cast("uint64_t") long seed, @Cast("uint64_t") long counter, long offset, long n, @Cast("float*") long g,
      @Cast("void*") long stream);

  public static native int pvll_cuda_gumbel_softmax_argmax(
      @Cast("const float*") long logits, long rows, long cols, @Cast("uint64_t") long seed,
      @Cast("uint64_t") long counter, float tau, @Cast("float*") long gumbelOut, @Cast("float*") long weightsOut,
      @Cast("float*") long indicesOut, @Cast("void*") long stream);
}
