package dev.pvll.kernels;

import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;

/**
 * Helpers of the *CudaTest classes: the GPU under test (skipping where there is none), the same
 * data on both devices, and outputs poisoned with NaN so that a value an op fails to write shows.
 */
final class CudaPair {
  /** Reductions summed in another order than the CPU's (float partial sums): agree to rounding. */
  static final Tolerance REDUCED = new Tolerance(1e-4, 1e-4);

  /**
   * Values that are sums of terms float products, summed in another order than on the CPU: the
   * random-walk part grows as sqrt(terms), and where partial sums cancel up to about one float
   * epsilon per term remains (the emulated device showed 4.6e-5 at 432 terms, 1.2e-5 at 1000:
   * a fixed 1e-5 was too tight).
   */
  static Tolerance sums(double terms) {
    return new Tolerance(1e-6 * Math.sqrt(terms) + 0x1p-23 * terms, 1e-5);
  }

  final Tensor cpu;
  final Tensor gpu;

  private CudaPair(Tensor cpu, Tensor gpu) {
    this.cpu = cpu;
    this.gpu = gpu;
  }

  /** cuda:0, or skips the test. */
  static Device gpu() {
    Device gpu = Device.cuda(0);
    TestDevices.assumePresent(gpu);
    return gpu;
  }

  /** data on the CPU and on the GPU (inside the caller's Scope). */
  static CudaPair of(Device gpu, float[] data, int... shape) {
    Tensor c = Tensor.of(Device.cpu(), data, shape);
    return new CudaPair(c, c.to(gpu));
  }

  /** A NaN-filled output on both devices. */
  static CudaPair poisoned(Device gpu, int... shape) {
    return new CudaPair(Tensor.full(Device.cpu(), Float.NaN, shape), Tensor.full(gpu, Float.NaN, shape));
  }

  /** An output holding data on both devices (for the accumulate cases). */
  static CudaPair holding(Device gpu, float[] data, int... shape) {
    return of(gpu, data, shape);
  }

  void assertClose(Tolerance t, String what, long seed) {
    t.assertClose(what, cpu.toArray(), gpu.toArray(), seed);
  }

  /** The CPU or GPU tensor of a possibly absent pair. */
  static Tensor cpuOf(CudaPair p) {
    return p == null ? null : p.cpu;
  }

  static Tensor gpuOf(CudaPair p) {
    return p == null ? null : p.gpu;
  }
}
