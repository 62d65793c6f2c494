package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Page-locked (pinned) host memory for float32 values, from which copies to a GPU run
 * asynchronously on a {@link CudaStream} and so overlap the ops. Closing frees it; closing twice
 * is harmless; any use after close throws. Close it only once the copies from it are done
 * (synchronize their event first).
 *
 * <pre>{@code
 * try (PinnedBuffer host = PinnedBuffer.allocate(n); CudaStream copies = CudaStream.create(gpu);
 *     CudaEvent done = CudaEvent.create(gpu)) {
 *   host.write(batch, n);
 *   host.copyToAsync(0, deviceTensor, n, copies, done);  // returns at once
 *   done.makeOpsWait();                                  // ops enqueued next see the data
 * }
 * }</pre>
 */
public final class PinnedBuffer implements AutoCloseable {
  private final long size;
  private long address;

  private PinnedBuffer(long size, long address) {
    this.size = size;
    this.address = address;
  }

  /**
   * A buffer of {@code floats} values of pinned host memory, owned by the caller.
   *
   * @param floats number of floats, at least 0
   * @return the buffer
   * @throws IllegalArgumentException for a negative size
   * @throws KernelException when CUDA is missing or the memory cannot be pinned
   */
  public static PinnedBuffer allocate(long floats) {
    if (floats < 0) throw new IllegalArgumentException("pinned buffer size must be >= 0, got " + floats);
    long[] out = new long[1];
    Native.cuda("host_alloc_pinned", CudaLayerKernels.pvll_cuda_host_alloc_pinned(floats * Float.BYTES, out));
    return new PinnedBuffer(floats, out[0]);
  }

  /**
   * Number of floats.
   *
   * @return the size
   */
  public long size() {
    return size;
  }

  /**
   * The host address, for the bindings.
   *
   * @return the address
   * @throws IllegalStateException when closed
   */
  public long address() {
    if (address == 0) throw new IllegalStateException("pinned buffer of " + size + " floats was closed");
    return address;
  }

  /**
   * Copies src[0, count) to the start of this buffer (a plain host copy).
   *
   * @param src the values
   * @param count how many, at most src's length and this buffer's size
   * @throws IllegalArgumentException when count is negative or too large
   * @throws IllegalStateException when closed
   */
  public void write(float[] src, long count) {
    if (count < 0 || count > src.length || count > size) {
      throw new IllegalArgumentException("write of " + count + " values from an array of " + src.length
          + " into a pinned buffer of " + size);
    }
    Native.cpu("pinned_write", CpuKernels.pvll_host_copy(src, address(), count));
  }

  /**
   * Enqueues on stream the copy of count values from offset of this buffer into the start of the
   * CUDA tensor dst, then records done on stream. Returns at once; the copy has happened when
   * done has completed (use {@link CudaEvent#makeOpsWait()} before ops read dst, and
   * {@link CudaEvent#synchronize()} before writing this buffer again). A null stream is the
   * ops' own stream: the copy is then ordered with the ops before and after it.
   *
   * @param offset first value of this buffer to copy, at least 0
   * @param dst the CUDA tensor written from its element 0
   * @param count number of values, within this buffer and dst
   * @param stream the stream to copy on, or null for the ops' stream
   * @param done recorded after the copy; on dst's device
   * @throws IllegalArgumentException when dst or done is null, dst is not on a GPU, stream or
   *     done is on another device, or the range does not fit
   * @throws IllegalStateException when this buffer, dst, stream or done is closed
   * @throws KernelException when CUDA refuses the copy or the record
   */
  public void copyToAsync(long offset, Tensor dst, long count, CudaStream stream, CudaEvent done) {
    if (dst == null || done == null) throw new IllegalArgumentException("copyToAsync: " + (dst == null ? "dst" : "done") + " is null");
    Device d = dst.device();
    if (!d.isCuda()) throw new IllegalArgumentException("copyToAsync: target must be a CUDA tensor, got " + dst);
    if ((stream != null && !d.equals(stream.device())) || !d.equals(done.device())) {
      throw new IllegalArgumentException("copyToAsync: tensor, stream and event must be on one device");
    }
    if (offset < 0 || count < 0 || offset + count > size || count > dst.size()) {
      throw new IllegalArgumentException("copyToAsync: " + count + " values at " + offset + " of a pinned buffer of "
          + size + " into a tensor of " + dst.size());
    }
    Native.cuda("copy_to_device_async", CudaLayerKernels.pvll_cuda_copy_to_device_async(d.index(),
        address() + offset * Float.BYTES, dst.address(), count, stream == null ? 0L : stream.handle()));
    done.record(stream);
  }

  /**
   * Frees the pinned memory. Harmless when already closed.
   *
   * @throws KernelException when CUDA fails to free it
   */
  @Override
  public synchronized void close() {
    if (address == 0) return;
    long a = address;
    address = 0;
    Native.cuda("host_free_pinned", CudaLayerKernels.pvll_cuda_host_free_pinned(a));
  }
}
