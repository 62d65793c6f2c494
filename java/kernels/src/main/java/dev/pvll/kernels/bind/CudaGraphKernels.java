package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of graph capture, switch nodes, the per-thread stream and the device-scalar
 * step ops of libpvll_cuda.so (native/include/pvll_cuda_graph.h). Device pointers, streams and
 * graphs travel as {@code long} (0 for NULL); every function returns a pvll status, with the
 * message in {@link CudaKernels#pvll_cuda_last_error()}. Use {@link dev.pvll.kernels.CudaGraph}
 * and {@link dev.pvll.kernels.StepOps} instead.
 */
@Platform(include = "pvll_cuda.h", link = "pvll_cuda")
public final class CudaGraphKernels {
  static {
    CudaLibrary.load(CudaGraphKernels.class);
  }

  private CudaGraphKernels() {}

  public static native int pvll_cuda_set_thread_stream(int device, @Cast("void*") long stream);

  public static native int pvll_cuda_get_thread_stream(@Cast("void**") long[] stream);

  public static native int pvll_cuda_graphs_supported(int device, int[] supported);

  public static native int pvll_cuda_capture_begin(int device, int flags);

  public static native int pvll_cuda_capture_end(int device, @Cast("void**") long[] graph);

  public static native int pvll_cuda_capture_abort(int device);

  public static native int pvll_cuda_switch_begin(@Cast("const float*") long selector, int cases);

  public static native int pvll_cuda_switch_case(int index);

  public static native int pvll_cuda_switch_end(int cases);

  public static native int pvll_cuda_graph_launch(@Cast("void*") long graph, @Cast("void*") long stream);

  public static native int pvll_cuda_graph_destroy(@Cast("void*") long graph);

  public static native int pvll_cuda_graph_info(@Cast("void*") long graph, @Cast("int64_t*") long[] nodes,
      @Cast("int64_t*") long[] bytes);

  public static native int pvll_cuda_scale_add_by(
      @Cast("const float*") long x, @Cast("const float*") long alpha, @Cast("float*") long y, long n, int accumulate,
      @Cast("void*") long stream);

  public static native int pvll_cuda_sgd_step_by(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long momentumBuf, long n,
      @Cast("const float*") long control, float momentum, float weightDecay, @Cast("void*") long stream);

  public static native int pvll_cuda_record_step(
      @Cast("const float*") long loss, @Cast("const float*") long correct, @Cast("const float*") long lrSchedule,
      @Cast("float*") long control, @Cast("float*") long log, long capacity, @Cast("void*") long stream);
}
