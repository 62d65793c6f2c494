package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the sampling kernels of libpvll.so (native/include/pvll_gumbel.h).
 * Pointers travel as {@code long} addresses; every function returns a pvll status. Use
 * {@link dev.pvll.kernels.SamplingOps} instead.
 */
@Platform(include = "pvll.h", link = "pvll")
public final class CpuSamplingKernels {
  static {
    Loader.load();
  }

  private CpuSamplingKernels() {}

  public static native int pvll_gumbel_noise(
      @Cast("uint64_t") long seed, @Cast("uint64_t") long counter, long offset, long n, @Cast("float*") long g);

  public static native int pvll_gumbel_softmax_argmax(
      @Cast("const float*") long logits, long rows, long cols, @Cast("uint64_t") long seed,
      @Cast("uint64_t") long counter, float tau, @Cast("float*") long gumbelOut, @Cast("float*") long weightsOut,
      @Cast("float*") long indicesOut);

  public static native int pvll_gumbel_softmax_argmax_ref(
      @Cast("const float*") long logits, long rows, long cols, @Cast("uint64_t") long seed,
      @Cast("uint64_t") long counter, float tau, @Cast("float*") long gumbelOut, @Cast("float*") long weightsOut,
      @Cast("float*") long indicesOut);
}
