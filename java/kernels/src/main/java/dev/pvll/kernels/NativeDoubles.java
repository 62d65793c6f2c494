package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * A float64 vector in native memory on one {@link Device}: the statistics buffers of
 * synchronised batch norm ({@link NormOps#batchNormStats}) and what {@link Collectives} sums in
 * double. Owns its memory; closing frees it, closing twice is harmless, use after close throws
 * {@link IllegalStateException}. It belongs to no {@link Scope}: the caller closes it.
 */
public final class NativeDoubles implements AutoCloseable {
  private final Device device;
  private final long length;
  private final long address;
  private boolean closed;

  private NativeDoubles(Device device, long length, long address) {
    this.device = device;
    this.length = length;
    this.address = address;
  }

  /**
   * A new vector of length zeros on device.
   *
   * @param device where the memory lives
   * @param length number of doubles, at least 0
   * @return the vector, owned by the caller
   * @throws IllegalArgumentException for a negative length
   * @throws KernelException when the memory cannot be allocated
   */
  public static NativeDoubles zeros(Device device, long length) {
    if (length < 0) throw new IllegalArgumentException("NativeDoubles: negative length " + length);
    long[] out = new long[1];
    long bytes = length * Double.BYTES;
    // 0.0 is all zero bits: filling the bytes as floats of 0 writes doubles of 0
    if (device.isCpu()) {
      Native.cpu("alloc_doubles", CpuKernels.pvll_host_alloc(bytes, out));
      NativeDoubles d = new NativeDoubles(device, length, out[0]);
      Native.cpu("zero_doubles", CpuKernels.pvll_host_fill(out[0], 0f, 2 * length));
      return d;
    }
    Native.cuda("alloc_doubles", CudaKernels.pvll_cuda_malloc(device.index(), bytes, out));
    NativeDoubles d = new NativeDoubles(device, length, out[0]);
    Native.cuda("zero_doubles", CudaKernels.pvll_cuda_fill(device.index(), out[0], 0f, 2 * length, 0));
    return d;
  }

  /**
   * A new vector holding a copy of values.
   *
   * @param device where the memory lives
   * @param values the values
   * @return the vector, owned by the caller
   * @throws KernelException when the allocation or the copy fails
   */
  public static NativeDoubles of(Device device, double... values) {
    NativeDoubles d = zeros(device, values.length);
    try {
      d.copyFrom(values);
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  /**
   * Where the memory lives.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * Number of doubles.
   *
   * @return the length
   */
  public long length() {
    return length;
  }

  /**
   * The native address, for kernel bindings.
   *
   * @return the address of element 0
   * @throws IllegalStateException when closed
   */
  public long address() {
    checkOpen();
    return address;
  }

  /**
   * Copies values into this vector (synchronously).
   *
   * @param values exactly {@link #length()} doubles
   * @throws IllegalArgumentException when the length differs
   * @throws IllegalStateException when closed
   * @throws KernelException when the native call fails
   */
  public void copyFrom(double[] values) {
    checkOpen();
    if (values.length != length) {
      throw new IllegalArgumentException("NativeDoubles.copyFrom: " + values.length + " values for a vector of " + length);
    }
    if (device.isCpu()) {
      Native.cpu("copy_doubles", CpuKernels.pvll_host_copy_doubles(values, address, length));
      return;
    }
    try (NativeDoubles staging = NativeDoubles.of(Device.cpu(), values)) {
      // a byte copy: 2 * length floats are the length doubles' bytes
      Native.cuda("copy_doubles_to_device",
          CudaKernels.pvll_cuda_copy_to_device(device.index(), staging.address, address, 2 * length));
    }
  }

  /**
   * The contents as a new Java array (waits for pending device work).
   *
   * @return a copy of the values
   * @throws IllegalStateException when closed or too long for a Java array
   * @throws KernelException when the native call fails
   */
  public double[] toArray() {
    checkOpen();
    if (length > Integer.MAX_VALUE) throw new IllegalStateException("too many doubles for a Java array: " + length);
    double[] out = new double[(int) length];
    if (device.isCpu()) {
      Native.cpu("copy_doubles", CpuKernels.pvll_host_copy_doubles(address, out, length));
    } else {
      Native.cuda("read_doubles", CudaLayerKernels.pvll_cuda_read_doubles(device.index(), address, out, (int) length, 0));
    }
    return out;
  }

  /**
   * Whether this vector was closed.
   *
   * @return true when it can no longer be used
   */
  public synchronized boolean isClosed() {
    return closed;
  }

  private synchronized void checkOpen() {
    if (closed) throw new IllegalStateException("NativeDoubles of " + length + " on " + device + " was closed");
  }

  /**
   * Frees the memory. Harmless when already closed.
   *
   * @throws KernelException when freeing device memory fails
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    if (device.isCpu()) {
      CpuKernels.pvll_host_free(address);
    } else {
      Native.cuda("free_doubles", CudaKernels.pvll_cuda_free(device.index(), address));
    }
  }

  /**
   * A short description, e.g. {@code NativeDoubles[33]@cpu}.
   *
   * @return the length, the device and whether closed
   */
  @Override
  public String toString() {
    return "NativeDoubles[" + length + "]@" + device + (isClosed() ? " (closed)" : "");
  }
}
