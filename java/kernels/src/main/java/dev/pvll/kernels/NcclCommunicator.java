package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaNcclKernels;

/**
 * One rank's member of an NCCL communicator on one GPU: all-reduce (sum) and broadcast of
 * tensors on that GPU, enqueued on the calling thread's current CUDA stream (so a captured graph
 * may hold them, and nothing waits on the host). NCCL (libnccl.so.2, 2.14 or newer) is loaded at
 * run time; without it every method throws {@link KernelException} with status
 * {@link KernelException#UNAVAILABLE}. Joining waits for every rank within the timeout; the GPU
 * work of a collective cannot time out by itself, so {@link #await()} waits for it with the
 * timeout and aborts the communicator when a peer is gone. After a failure every call throws at
 * once. Usually made by {@link Collectives#open} (which sends rank 0's id over MPI); closing frees
 * it, closing twice is harmless.
 */
public final class NcclCommunicator implements AutoCloseable {
  /** Bytes of a unique id. */
  public static final int ID_BYTES = 128;

  private final Device device;
  private final int rank;
  private final int size;
  private long handle;

  private NcclCommunicator(Device device, int rank, int size, long handle) {
    this.device = device;
    this.rank = rank;
    this.size = size;
    this.handle = handle;
  }

  /**
   * The version code of the NCCL found at run time, e.g. 22903 for 2.29.3.
   *
   * @return the version code
   * @throws KernelException with status {@link KernelException#UNAVAILABLE} without NCCL
   */
  public static int version() {
    int[] out = new int[1];
    Native.cuda("nccl_version", CudaNcclKernels.pvll_cuda_nccl_version(out));
    return out[0];
  }

  /**
   * A new unique id: rank 0 makes it and every rank passes it to {@link #create}.
   *
   * @return {@link #ID_BYTES} bytes
   * @throws KernelException when NCCL is missing or fails
   */
  public static byte[] uniqueId() {
    byte[] id = new byte[ID_BYTES];
    Native.cuda("nccl_unique_id", CudaNcclKernels.pvll_cuda_nccl_unique_id(id));
    return id;
  }

  /**
   * Joins the communicator of size ranks named by id, as rank, on a GPU.
   *
   * @param device this rank's GPU
   * @param rank this rank, 0 to size - 1
   * @param size the number of ranks
   * @param id rank 0's {@link #uniqueId()}
   * @param config the timeout
   * @return the communicator, owned by the caller
   * @throws IllegalArgumentException for a CPU device, a rank outside [0, size), an id of
   *     another length or a null config
   * @throws KernelException when NCCL is missing, or joining fails or times out
   */
  public static NcclCommunicator create(Device device, int rank, int size, byte[] id, CollectivesConfig config) {
    if (device == null || !device.isCuda()) throw new IllegalArgumentException("NCCL needs a CUDA device, got " + device);
    if (size < 1 || rank < 0 || rank >= size) throw new IllegalArgumentException("NCCL: rank " + rank + " of " + size);
    if (id == null || id.length != ID_BYTES) {
      throw new IllegalArgumentException("NCCL: the unique id must have " + ID_BYTES + " bytes, got "
          + (id == null ? "null" : id.length));
    }
    if (config == null) throw new IllegalArgumentException("NCCL: config must not be null");
    long[] out = new long[1];
    Native.cuda("nccl_init",
        CudaNcclKernels.pvll_cuda_nccl_init(device.index(), size, rank, id, config.timeoutSeconds(), out));
    return new NcclCommunicator(device, rank, size, out[0]);
  }

  /**
   * The communicator's GPU.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * This member's rank.
   *
   * @return 0 to size - 1
   */
  public int rank() {
    return rank;
  }

  /**
   * The number of ranks.
   *
   * @return the size
   */
  public int size() {
    return size;
  }

  /**
   * Replaces tensor (on this communicator's GPU) by its sum over the ranks; enqueued on this
   * thread's current stream.
   *
   * @param tensor the values, replaced in place
   * @throws IllegalArgumentException for a null tensor or one on another device
   * @throws IllegalStateException when the tensor or the communicator is closed
   * @throws KernelException when NCCL fails
   */
  public synchronized void allReduceSum(Tensor tensor) {
    String op = "nccl_all_reduce_sum";
    checkOnDevice(op, tensor);
    Native.cuda(op, CudaNcclKernels.pvll_cuda_nccl_all_reduce_sum(handle(), tensor.address(), tensor.size(), 0, 0));
  }

  /**
   * The same for a double vector on this communicator's GPU.
   *
   * @param values the values, replaced in place
   * @throws IllegalArgumentException for null values or values on another device
   * @throws IllegalStateException when the values or the communicator are closed
   * @throws KernelException when NCCL fails
   */
  public synchronized void allReduceSum(NativeDoubles values) {
    String op = "nccl_all_reduce_sum";
    if (values == null) throw new IllegalArgumentException(op + ": values must not be null");
    if (!values.device().equals(device)) {
      throw new IllegalArgumentException(op + ": values on " + values.device() + ", communicator on " + device);
    }
    Native.cuda(op, CudaNcclKernels.pvll_cuda_nccl_all_reduce_sum(handle(), values.address(), values.length(), 1, 0));
  }

  /**
   * Every rank's tensor becomes root's; enqueued on this thread's current stream.
   *
   * @param tensor the values, replaced on every rank but root
   * @param root the rank whose values are sent, 0 to size - 1
   * @throws IllegalArgumentException for a null tensor, one on another device, or a bad root
   * @throws IllegalStateException when the tensor or the communicator is closed
   * @throws KernelException when NCCL fails
   */
  public synchronized void broadcast(Tensor tensor, int root) {
    String op = "nccl_broadcast";
    checkOnDevice(op, tensor);
    if (root < 0 || root >= size) throw new IllegalArgumentException(op + ": root " + root + " is not a rank of " + size);
    Native.cuda(op, CudaNcclKernels.pvll_cuda_nccl_broadcast(handle(), tensor.address(), tensor.size() * Float.BYTES,
        root, 0));
  }

  /**
   * Waits for the work on this thread's current stream, within the timeout given at creation;
   * aborts the communicator and throws when it does not finish or NCCL reports an error.
   *
   * @throws IllegalStateException when closed
   * @throws KernelException when the work times out or fails
   */
  public synchronized void await() {
    Native.cuda("nccl_wait", CudaNcclKernels.pvll_cuda_nccl_wait(handle(), 0, 0));
  }

  /**
   * Ends this communicator's pending GPU work at once (a peer is gone); later calls throw.
   *
   * @throws KernelException when NCCL fails to abort
   */
  public synchronized void abort() {
    if (handle != 0) Native.cuda("nccl_abort", CudaNcclKernels.pvll_cuda_nccl_abort(handle));
  }

  /**
   * Frees the communicator (waits, within the timeout, for its pending work when healthy).
   * Harmless when already closed.
   *
   * @throws KernelException when NCCL fails
   */
  @Override
  public synchronized void close() {
    if (handle == 0) return;
    long h = handle;
    handle = 0;
    Native.cuda("nccl_destroy", CudaNcclKernels.pvll_cuda_nccl_destroy(h));
  }

  /**
   * A short description: rank, size, device and whether closed.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "NCCL rank " + rank + " of " + size + " on " + device + (handle == 0 ? " (closed)" : "");
  }

  private long handle() {
    if (handle == 0) throw new IllegalStateException("NCCL communicator on " + device + " was closed");
    return handle;
  }

  private void checkOnDevice(String op, Tensor tensor) {
    if (tensor == null) throw new IllegalArgumentException(op + ": tensor must not be null");
    tensor.checkOpen();
    if (!tensor.device().equals(device)) {
      throw new IllegalArgumentException(op + ": tensor on " + tensor.device() + ", communicator on " + device);
    }
  }
}
