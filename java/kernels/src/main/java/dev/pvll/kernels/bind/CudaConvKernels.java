package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the CUDA convolutions (native/include/pvll_cuda_conv.h) in
 * libpvll_cuda.so. Device pointers and streams travel as {@code long} ({@code 0} = default
 * stream); a stub build returns PVLL_ERR_NO_CUDA from every call.
 */
@Platform(include = "pvll_cuda_conv.h", link = "pvll_cuda")
public final class CudaConvKernels {
  static {
    CudaLibrary.load(CudaConvKernels.class);
  }

  private CudaConvKernels() {}

  // ---- conv2d
  public static native int pvll_cuda_conv2d_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long bias,
      @Cast("float*") long y, int n, int cin, int h, int wIn, int cout, int kh, int kw, int stride, int padding,
      int dilation, @Cast("void*") long stream);

  public static native int pvll_cuda_conv2d_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n, int cin, int h,
      int wIn, int cout, int kh, int kw, int stride, int padding, int dilation, int accumulate,
      @Cast("void*") long stream);

  public static native int pvll_cuda_conv2d_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw,
      @Cast("float*") long dbias, int n, int cin, int h, int wIn, int cout, int kh, int kw, int stride, int padding,
      int dilation, int accumulate, @Cast("void*") long stream);

  // ---- depthwise
  public static native int pvll_cuda_depthwise_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("float*") long y, int n, int c, int h,
      int wIn, int k, int stride, int dilation, @Cast("void*") long stream);

  public static native int pvll_cuda_depthwise_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n, int c, int h,
      int wIn, int k, int stride, int dilation, int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_depthwise_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw, int n, int c, int h,
      int wIn, int k, int stride, int dilation, int accumulate, @Cast("void*") long stream);

  // ---- pointwise
  public static native int pvll_cuda_pointwise_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("float*") long y, int n, int cin, int h,
      int wIn, int cout, @Cast("void*") long stream);

  public static native int pvll_cuda_pointwise_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n, int cin, int h,
      int wIn, int cout, int accumulate, @Cast("void*") long stream);

  public static native int pvll_cuda_pointwise_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw, int n, int cin, int h,
      int wIn, int cout, int accumulate, @Cast("void*") long stream);
}
