package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of the NCCL collectives of libpvll_cuda.so (native/include/pvll_cuda_nccl.h).
 * libnccl.so.2 is opened by the native side on first use; without it every call fails with the
 * loader's reason. Communicators and streams travel as {@code long} handles ({@code 0} stream =
 * the calling thread's current stream). Use {@code dev.pvll.kernels.NcclCommunicator} instead.
 */
@Platform(include = "pvll_cuda.h", link = "pvll_cuda")
public final class CudaNcclKernels {
  static {
    CudaLibrary.load(CudaNcclKernels.class);
  }

  private CudaNcclKernels() {}

  public static native int pvll_cuda_nccl_version(int[] version);

  public static native int pvll_cuda_nccl_unique_id(@Cast("char*") byte[] id);

  public static native int pvll_cuda_nccl_init(
      int device, int nranks, int rank, @Cast("const char*") byte[] id, double timeoutSeconds,
      @Cast("void**") long[] comm);

  public static native int pvll_cuda_nccl_all_reduce_sum(
      @Cast("void*") long comm, @Cast("void*") long buffer, long count, int isDouble, @Cast("void*") long stream);

  public static native int pvll_cuda_nccl_broadcast(
      @Cast("void*") long comm, @Cast("void*") long buffer, long bytes, int root, @Cast("void*") long stream);

  public static native int pvll_cuda_nccl_wait(@Cast("void*") long comm, @Cast("void*") long stream, double timeoutSeconds);

  public static native int pvll_cuda_nccl_abort(@Cast("void*") long comm);

  public static native int pvll_cuda_nccl_destroy(@Cast("void*") long comm);
}
