package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;
import java.util.function.LongToIntFunction;

/** Turns native status codes into {@link KernelException}s. Internal to the kernel package. */
final class Native {
  private Native() {}

  static void cpu(String op, int status) {
    if (status != 0) throw new KernelException(op, status, CpuKernels.pvll_last_error());
  }

  static void cuda(String op, int status) {
    if (status != 0) throw new KernelException(op, status, CudaKernels.pvll_cuda_last_error());
  }

  /**
   * Runs a CUDA op that writes one double to device memory (given its address) on the default
   * stream, waits for it, and returns the value.
   */
  static double cudaDouble(String op, Device device, LongToIntFunction call) {
    long[] p = new long[1];
    cuda(op, CudaKernels.pvll_cuda_malloc(device.index(), Double.BYTES, p));
    try {
      cuda(op, call.applyAsInt(p[0]));
      double[] out = new double[1];
      cuda(op, CudaLayerKernels.pvll_cuda_read_doubles(device.index(), p[0], out, 1, 0));
      return out[0];
    } finally {
      CudaKernels.pvll_cuda_free(device.index(), p[0]);
    }
  }
}
