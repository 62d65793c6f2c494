package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of libpvll_cuda.so (native/include/pvll_cuda.h). The library links the CUDA
 * runtime statically, so it loads on machines without a driver (calls then fail with the
 * reason); a build without nvcc ships a stub whose calls all return PVLL_ERR_NO_CUDA.
 * Streams travel as {@code long} ({@code 0} = default stream).
 */
@Platform(include = "pvll_cuda.h", link = "pvll_cuda")
public final class CudaKernels {
  static {
    CudaLibrary.load(CudaKernels.class);
  }

  private CudaKernels() {}

  public static native @Cast("const char*") String pvll_cuda_last_error();

  public static native @Cast("const char*") String pvll_cuda_build_status();

  // ---- devices and memory
  public static native int pvll_cuda_device_count(int[] count);

  public static native int pvll_cuda_versions(int[] driverVersion, int[] runtimeVersion);

  public static native int pvll_cuda_device_info(
      int device, @Cast("char*") byte[] name, int nameCapacity, @Cast("int64_t*") long[] totalBytes,
      int[] major, int[] minor, int[] multiprocessors);

  public static native int pvll_cuda_memory_info(
      int device, @Cast("int64_t*") long[] freeBytes, @Cast("int64_t*") long[] totalBytes);

  public static native int pvll_cuda_malloc(int device, long bytes, @Cast("void**") long[] out);

  public static native int pvll_cuda_free(int device, @Cast("void*") long ptr);

  public static native int pvll_cuda_cached_bytes(
      int device, @Cast("int64_t*") long[] cached, @Cast("int64_t*") long[] inUse);

  public static native int pvll_cuda_release_cache(int device);

  public static native int pvll_cuda_copy_to_device(
      int device, @Cast("const float*") float[] host, @Cast("float*") long dev, long count);

  public static native int pvll_cuda_copy_to_device(
      int device, @Cast("const float*") long host, @Cast("float*") long dev, long count);

  public static native int pvll_cuda_copy_to_host(
      int device, @Cast("const float*") long dev, @Cast("float*") float[] host, long count);

  public static native int pvll_cuda_copy_to_host(
      int device, @Cast("const float*") long dev, @Cast("float*") long host, long count);

  public static native int pvll_cuda_copy_device(
      int device, @Cast("const float*") long src, @Cast("float*") long dst, long count, @Cast("void*") long stream);

  public static native int pvll_cuda_fill(
      int device, @Cast("float*") long dst, float value, long count, @Cast("void*") long stream);

  public static native int pvll_cuda_synchronize(int device);

  // ---- elementwise
  public static native int pvll_cuda_relu_forward(
      @Cast("const float*") long x, @Cast("float*") long y, long n, @Cast("void*") long stream);

  public static native int pvll_cuda_relu_backward(
      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx, long n,
      @Cast("void*") long stream);

  public static native int pvll_cuda_scale_add(
      @Cast("const float*") long x, float alpha, @Cast("float*") long y, long n, int accumulate,
      @Cast("void*") long stream);
}
