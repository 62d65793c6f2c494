package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the CPU convolution kernels (native/include/pvll_conv.h). Pointers travel
 * as {@code long} addresses (0 for an absent bias); every function returns a pvll status. Use
 * {@link dev.pvll.kernels.ConvOps} instead.
 */
@Platform(include = "pvll_conv.h", link = "pvll")
public final class CpuConvKernels {
  static {
    Loader.load();
  }

  private CpuConvKernels() {}

  public static native int pvll_conv2d_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long bias,
      @Cast("float*") long y, int n, int cin, int h, int wIn, int cout, int kh, int kw, int stride,
      int padding, int dilation);

  public static native int pvll_conv2d_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n,
      int cin, int h, int wIn, int cout, int kh, int kw, int stride, int padding, int dilation,
      int accumulate);

  public static native int pvll_conv2d_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw,
      @Cast("float*") long dbias, int n, int cin, int h, int wIn, int cout, int kh, int kw,
      int stride, int padding, int dilation, int accumulate);

  public static native int pvll_depthwise_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("float*") long y, int n,
      int c, int h, int wIn, int k, int stride, int dilation);

  public static native int pvll_depthwise_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n,
      int c, int h, int wIn, int k, int stride, int dilation, int accumulate);

  public static native int pvll_depthwise_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw, int n,
      int c, int h, int wIn, int k, int stride, int dilation, int accumulate);

  public static native int pvll_pointwise_forward(
      @Cast("const float*") long x, @Cast("const float*") long w, @Cast("float*") long y, int n,
      int cin, int h, int wIn, int cout);

  public static native int pvll_pointwise_backward_input(
      @Cast("const float*") long dy, @Cast("const float*") long w, @Cast("float*") long dx, int n,
      int cin, int h, int wIn, int cout, int accumulate);

  public static native int pvll_pointwise_backward_weight(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dw, int n,
      int cin, int h, int wIn, int cout, int accumulate);
}
