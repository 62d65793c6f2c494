package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of libpvll.so (native/include/pvll.h). Pointers travel as {@code long}
 * addresses; every function returns a pvll status. Use the typed ops of
 * {@code dev.pvll.kernels} ({@link dev.pvll.kernels.ElementwiseOps}, {@link dev.pvll.kernels.ConvOps}, ...) instead.
 */
@Platform(include = "pvll.h", link = "pvll")
public final class CpuKernels {
  static {
    Loader.load();
  }

  private CpuKernels() {}

  public static native @Cast("const char*") String pvll_last_error();

  public static native @Cast("const char*") String pvll_cpu_build_isa();

  public static native int pvll_set_num_threads(int threads);

  public static native int pvll_get_num_threads();

  public static native int pvll_host_alloc(long bytes, @Cast("void**") long[] out);

  public static native int pvll_host_free(@Cast("void*") long ptr);

  public static native int pvll_host_release_cache();

  public static native int pvll_host_copy(@Cast("const float*") long src, @Cast("float*") long dst, long count);

  public static native int pvll_host_copy(@Cast("const float*") float[] src, @Cast("float*") long dst, long count);

  public static native int pvll_host_copy(@Cast("const float*") long src, @Cast("float*") float[] dst, long count);

  public static native int pvll_host_fill(@Cast("float*") long dst, float value, long count);

  public static native int pvll_host_copy_doubles(@Cast("const double*") double[] src, @Cast("double*") long dst, long count);

  public static native int pvll_host_copy_doubles(@Cast("const double*") long src, @Cast("double*") double[] dst, long count);

  // ---- elementwise
  public static native int pvll_relu_forward(@Cast("const float*") long x, @Cast("float*") long y, long n);

  public static native int pvll_relu_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx, long n);

  public static native int pvll_scale_add(
      @Cast("const float*") long x, float alpha, @Cast("float*") long y, long n, int accumulate);

  public static native int pvll_dot(@Cast("const float*") long a, @Cast("const float*") long b, long n, double[] out);

  // ---- spatial: crop, general average pooling
  public static native int pvll_avg_pool_forward(
      @Cast("const float*") long x, @Cast("float*") long y, int n, int c, int h, int w, int k, int s, int p);

  public static native int pvll_avg_pool_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, int n, int c, int h, int w, int k, int s, int p, int accumulate);

  public static native int pvll_crop_forward(
      @Cast("const float*") long x, @Cast("float*") long y, int n, int c, int h, int w, int top, int left, int oh, int ow);

  public static native int pvll_crop_backward(
      @Cast("const float*") long dy, @Cast("float*") long dx, int n, int c, int h, int w, int top, int left,
      int oh, int ow, int accumulate);
}
