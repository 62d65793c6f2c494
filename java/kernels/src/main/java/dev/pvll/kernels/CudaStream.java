package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * A CUDA stream for work beside the ops, such as host-to-device copies of the next batch. The
 * ops themselves run on the legacy default stream; this stream is created non-blocking, so its
 * work overlaps theirs, and ordering between the two goes through {@link CudaEvent}s. Closing
 * destroys the stream (after its pending work, as cudaStreamDestroy does); closing twice is
 * harmless.
 */
public final class CudaStream implements AutoCloseable {
  private final Device device;
  private long handle;

  private CudaStream(Device device, long handle) {
    this.device = device;
    this.handle = handle;
  }

  /**
   * A new non-blocking stream on a CUDA device.
   *
   * @param device the GPU
   * @return the stream, owned by the caller
   * @throws IllegalArgumentException for the CPU
   * @throws KernelException when CUDA cannot create it (no GPU, a stub build)
   */
  public static CudaStream create(Device device) {
    if (!device.isCuda()) throw new IllegalArgumentException("streams exist on CUDA devices only, not " + device);
    long[] out = new long[1];
    Native.cuda("stream_create", CudaLayerKernels.pvll_cuda_stream_create(device.index(), out));
    return new CudaStream(device, out[0]);
  }

  /**
   * The stream's GPU.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * The cudaStream_t, for the bindings.
   *
   * @return the handle
   * @throws IllegalStateException when closed
   */
  public long handle() {
    checkOpen();
    return handle;
  }

  /**
   * Work enqueued on this stream from now on waits until event has completed.
   *
   * @param event a recorded event (an event never recorded is complete)
   * @throws IllegalStateException when this stream or the event is closed
   * @throws KernelException when CUDA fails
   */
  public void waitFor(CudaEvent event) {
    Native.cuda("stream_wait_event", CudaLayerKernels.pvll_cuda_stream_wait_event(device.index(), handle(), event.handle()));
  }

  /**
   * Blocks until everything enqueued on this stream has finished.
   *
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA fails (also for an earlier asynchronous error)
   */
  public void synchronize() {
    Native.cuda("stream_synchronize", CudaLayerKernels.pvll_cuda_stream_synchronize(device.index(), handle()));
  }

  private void checkOpen() {
    if (handle == 0) throw new IllegalStateException("CUDA stream on " + device + " was closed");
  }

  /**
   * Destroys the stream. Harmless when already closed.
   *
   * @throws KernelException when CUDA fails
   */
  @Override
  public synchronized void close() {
    if (handle == 0) return;
    long h = handle;
    handle = 0;
    Native.cuda("stream_destroy", CudaLayerKernels.pvll_cuda_stream_destroy(device.index(), h));
  }
}
