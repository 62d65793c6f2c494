package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the CPU ops whose scalars are read from memory (native/include/pvll_step.h):
 * scale-add by a stored weight, SGD with a stored learning rate and gate, the per-step loss log.
 * Pointers travel as {@code long} addresses (0 for NULL); every function returns a pvll status.
 * Use {@link dev.pvll.kernels.StepOps} instead.
 */
@Platform(include = "pvll_step.h", link = "pvll")
public final class CpuStepKernels {
  static {
    Loader.load();
  }

  private CpuStepKernels() {}

  public static native int pvll_scale_add_by(
      @Cast("const float*") long x, @Cast("const float*") long alpha, @Cast("float*") long y, long n, int accumulate);

  public static native int pvll_sgd_step_by(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long momentumBuf, long n,
      @Cast("const float*") long control, float momentum, float weightDecay);

  public static native int pvll_record_step(
      @Cast("const float*") long loss, @Cast("const float*") long correct, @Cast("const float*") long lrSchedule,
      @Cast("float*") long control, @Cast("float*") long log, long capacity);
}
