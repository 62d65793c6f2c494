package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * A CUDA event (no timing) that orders work between streams: record it after some work, then
 * make another stream (or the default stream the ops run on) wait for it, or wait on the host.
 * Closing destroys it; closing twice is harmless.
 */
public final class CudaEvent implements AutoCloseable {
  private final Device device;
  private long handle;

  private CudaEvent(Device device, long handle) {
    this.device = device;
    this.handle = handle;
  }

  /**
   * A new event on a CUDA device.
   *
   * @param device the GPU
   * @return the event, owned by the caller
   * @throws IllegalArgumentException for the CPU
   * @throws KernelException when CUDA cannot create it
   */
  public static CudaEvent create(Device device) {
    if (!device.isCuda()) throw new IllegalArgumentException("events exist on CUDA devices only, not " + device);
    long[] out = new long[1];
    Native.cuda("event_create", CudaLayerKernels.pvll_cuda_event_create(device.index(), out));
    return new CudaEvent(device, out[0]);
  }

  /**
   * The event's GPU.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * The cudaEvent_t, for the bindings.
   *
   * @return the handle
   * @throws IllegalStateException when closed
   */
  public long handle() {
    if (handle == 0) throw new IllegalStateException("CUDA event on " + device + " was closed");
    return handle;
  }

  /**
   * Records the event after the work enqueued so far on stream.
   *
   * @param stream the stream, or null for the ops' stream
   * @throws IllegalStateException when the event or the stream is closed
   * @throws KernelException when CUDA fails
   */
  public void record(CudaStream stream) {
    long s = stream == null ? 0L : stream.handle();
    Native.cuda("event_record", CudaLayerKernels.pvll_cuda_event_record(device.index(), handle(), s));
  }

  /**
   * Makes the ops enqueued from now on (the default stream) wait until this event has completed.
   *
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA fails
   */
  public void makeOpsWait() {
    Native.cuda("stream_wait_event", CudaLayerKernels.pvll_cuda_stream_wait_event(device.index(), 0L, handle()));
  }

  /**
   * Blocks the calling thread until the event has completed (at once when never recorded).
   *
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA fails
   */
  public void synchronize() {
    Native.cuda("event_synchronize", CudaLayerKernels.pvll_cuda_event_synchronize(device.index(), handle()));
  }

  /**
   * Destroys the event. Harmless when already closed.
   *
   * @throws KernelException when CUDA fails
   */
  @Override
  public synchronized void close() {
    if (handle == 0) return;
    long h = handle;
    handle = 0;
    Native.cuda("event_destroy", CudaLayerKernels.pvll_cuda_event_destroy(device.index(), h));
  }
}
