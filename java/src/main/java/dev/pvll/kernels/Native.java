package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;

/** Turns native status codes into {@link KernelException}s. Internal to the kernel package. */
final class Native {
  private Native() {}

  static void cpu(String op, int status) {
    if (status != 0) throw new KernelException(op, status, CpuKernels.pvll_last_error());
  }

  static void cuda(String op, int status) {
    if (status != 0) throw new KernelException(op, status, CudaKernels.pvll_cuda_last_error());
  }
}
