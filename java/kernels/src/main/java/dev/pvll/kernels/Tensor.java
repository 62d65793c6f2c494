package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;
import java.util.Arrays;

/**
 * A float32 tensor in NCHW order (rank 1 to 4) in native memory on one {@link Device}.
 *
 * <p>A tensor owns its memory unless it is a view ({@link #view}) into another. Closing frees
 * the memory at once; closing twice is harmless; any use after close throws
 * {@link IllegalStateException} (with {@code -Dpvll.debug.close=true} the message includes
 * where it was closed). A tensor created while a {@link Scope} is open on this thread belongs to
 * that scope and is closed with it unless {@link Scope#keep kept}.
 *
 * <p>A tensor is always contiguous (views are contiguous ranges of their owner), so the ops
 * need no stride or contiguity checks. Dimensions may be 0. The memory is native: host memory
 * (64-byte aligned, cached for reuse) for {@link Device#cpu()}, device memory for a GPU; the
 * garbage collector never frees it. Closing is thread-safe; other methods are not synchronised
 * (see the package comment). Allocation failures throw {@link KernelException} with status
 * {@link KernelException#OUT_OF_MEMORY} (or {@link KernelException#NO_CUDA} where CUDA is
 * missing).
 */
public final class Tensor implements AutoCloseable {
  private static final boolean DEBUG_CLOSE = Boolean.getBoolean("pvll.debug.close");

  private final Device device;
  private final int[] shape;
  private final long size;
  private final Tensor owner; // null when this tensor owns its memory
  private final long address;
  private volatile boolean closed;
  private Throwable closedAt;

  private Tensor(Device device, int[] shape, long address, Tensor owner) {
    this.device = device;
    this.shape = shape;
    this.size = count(shape);
    this.address = address;
    this.owner = owner;
  }

  /**
   * A new tensor with unspecified contents.
   *
   * @param device where the memory lives
   * @param shape 1 to 4 dimensions, none negative
   * @return the tensor, owned by the innermost open {@link Scope} of this thread, if any
   * @throws IllegalArgumentException for a rank outside 1 to 4 or a negative dimension
   * @throws KernelException when the memory cannot be allocated
   */
  public static Tensor empty(Device device, int... shape) {
    int[] s = checkShape(shape);
    long bytes = count(s) * Float.BYTES;
    long[] out = new long[1];
    if (device.isCpu()) {
      Native.cpu("alloc", CpuKernels.pvll_host_alloc(bytes, out));
    } else {
      Native.cuda("alloc", CudaKernels.pvll_cuda_malloc(device.index(), bytes, out));
    }
    Tensor t = new Tensor(device, s, out[0], null);
    Scope.register(t);
    return t;
  }

  /**
   * A new tensor filled with zeros ({@code torch.zeros}).
   *
   * @param device where the memory lives
   * @param shape 1 to 4 dimensions, none negative
   * @return the tensor, owned by the open {@link Scope}, if any
   * @throws IllegalArgumentException for a bad shape
   * @throws KernelException when the memory cannot be allocated
   */
  public static Tensor zeros(Device device, int... shape) {
    return full(device, 0f, shape);
  }

  /**
   * A new tensor with every element equal to value ({@code torch.full}).
   *
   * @param device where the memory lives
   * @param value the value of every element
   * @param shape 1 to 4 dimensions, none negative
   * @return the tensor, owned by the open {@link Scope}, if any
   * @throws IllegalArgumentException for a bad shape
   * @throws KernelException when the memory cannot be allocated
   */
  public static Tensor full(Device device, float value, int... shape) {
    Tensor t = empty(device, shape);
    t.fill(value);
    return t;
  }

  /**
   * A new tensor holding a copy of data, in row-major (NCHW) order.
   *
   * @param device where the memory lives
   * @param data the values, exactly the shape's element count
   * @param shape 1 to 4 dimensions, none negative
   * @return the tensor, owned by the open {@link Scope}, if any
   * @throws IllegalArgumentException for a bad shape or a data length that does not match it
   * @throws KernelException when the memory cannot be allocated or the copy fails
   */
  public static Tensor of(Device device, float[] data, int... shape) {
    Tensor t = empty(device, shape);
    try {
      t.copyFrom(data);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
    return t;
  }

  /**
   * A new tensor with like's device and shape and unspecified contents
   * ({@code torch.empty_like}).
   *
   * @param like the model tensor (may be closed: only its device and shape are read)
   * @return the tensor, owned by the open {@link Scope}, if any
   * @throws KernelException when the memory cannot be allocated
   */
  public static Tensor emptyLike(Tensor like) {
    return empty(like.device, like.shape());
  }

  /**
   * A view of {@code count(shape)} elements of this tensor's memory starting at element
   * {@code offset}. It frees nothing when closed and becomes unusable when this tensor closes.
   * A view belongs to no {@link Scope}; closing it is optional.
   *
   * @param offset first element, at least 0
   * @param shape the view's shape, 1 to 4 dimensions
   * @return the view
   * @throws IllegalArgumentException for a bad shape or a range outside this tensor
   * @throws IllegalStateException when this tensor is closed
   */
  public Tensor view(long offset, int... shape) {
    checkOpen();
    int[] s = checkShape(shape);
    if (offset < 0 || offset + count(s) > size) {
      throw new IllegalArgumentException("view of " + Arrays.toString(s) + " at offset " + offset
          + " does not fit in a tensor of " + size + " elements");
    }
    Tensor root = owner == null ? this : owner;
    return new Tensor(device, s, address + offset * Float.BYTES, root);
  }

  /**
   * The same memory seen with another shape of the same element count ({@code torch.reshape}
   * of a contiguous tensor): a {@link #view} at offset 0.
   *
   * @param shape the new shape, 1 to 4 dimensions, of this tensor's element count
   * @return the view
   * @throws IllegalArgumentException for a bad shape or another element count
   * @throws IllegalStateException when this tensor is closed
   */
  public Tensor reshape(int... shape) {
    if (count(checkShape(shape)) != size) {
      throw new IllegalArgumentException("cannot reshape " + Arrays.toString(this.shape) + " to " + Arrays.toString(shape));
    }
    return view(0, shape);
  }

  /**
   * Where this tensor's memory lives.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * A copy of the shape (readable after close).
   *
   * @return the dimensions, outermost first
   */
  public int[] shape() {
    return shape.clone();
  }

  /**
   * Number of dimensions.
   *
   * @return 1 to 4
   */
  public int rank() {
    return shape.length;
  }

  /**
   * Size of dimension i (negative i counts from the end).
   *
   * @param i dimension, -rank to rank - 1
   * @return its size
   * @throws ArrayIndexOutOfBoundsException for i outside that range
   */
  public int dim(int i) {
    return shape[i < 0 ? shape.length + i : i];
  }

  /**
   * Number of elements.
   *
   * @return the product of the dimensions
   */
  public long size() {
    return size;
  }

  /**
   * Whether this tensor (or, for a view, its owner) was closed.
   *
   * @return true when it can no longer be used
   */
  public boolean isClosed() {
    return closed || (owner != null && owner.closed);
  }

  /**
   * The native address, for kernel bindings.
   *
   * @return the address of element 0 (host or device memory)
   * @throws IllegalStateException when closed
   */
  public long address() {
    checkOpen();
    return address;
  }

  /**
   * Sets every element to value (on CUDA enqueued on the ops' stream).
   *
   * @param value the new value
   * @throws IllegalStateException when closed
   * @throws KernelException when the native call fails
   */
  public void fill(float value) {
    checkOpen();
    if (device.isCpu()) {
      Native.cpu("fill", CpuKernels.pvll_host_fill(address, value, size));
    } else {
      Native.cuda("fill", CudaKernels.pvll_cuda_fill(device.index(), address, value, size, 0));
    }
  }

  /**
   * Copies data into this tensor (on CUDA a synchronous host-to-device copy).
   *
   * @param data exactly {@link #size()} floats, row-major
   * @throws IllegalArgumentException when the length differs from the size
   * @throws IllegalStateException when closed
   * @throws KernelException when the native call fails
   */
  public void copyFrom(float[] data) {
    checkOpen();
    if (data.length != size) {
      throw new IllegalArgumentException("copyFrom: " + data.length + " values for a tensor of shape "
          + Arrays.toString(shape) + " (" + size + " elements)");
    }
    if (device.isCpu()) {
      Native.cpu("copy_from_host", CpuKernels.pvll_host_copy(data, address, size));
    } else {
      Native.cuda("copy_to_device", CudaKernels.pvll_cuda_copy_to_device(device.index(), data, address, size));
    }
  }

  /**
   * Copies another tensor of the same element count into this one, across devices if need be
   * (between two GPUs through host memory). Shapes may differ. On one device the source is this
   * tensor itself (nothing to do) or shares no memory with it.
   *
   * @param src the source
   * @throws IllegalArgumentException when the element counts differ, or src partly overlaps this
   *     tensor on one device
   * @throws IllegalStateException when either tensor is closed
   * @throws KernelException when the native call fails
   */
  public void copyFrom(Tensor src) {
    checkOpen();
    src.checkOpen();
    if (src.size != size) {
      throw new IllegalArgumentException("copyFrom: source has " + src.size + " elements, target " + size);
    }
    if (device.equals(src.device)) {
      if (src.address == address) return; // the same memory: already a copy
      Checks.apart("copyFrom", "target", this, "src", src);
    }
    if (device.isCpu() && src.device.isCpu()) {
      Native.cpu("copy", CpuKernels.pvll_host_copy(src.address, address, size));
    } else if (device.isCuda() && src.device.isCpu()) {
      Native.cuda("copy_to_device", CudaKernels.pvll_cuda_copy_to_device(device.index(), src.address, address, size));
    } else if (device.isCpu()) {
      Native.cuda("copy_to_host", CudaKernels.pvll_cuda_copy_to_host(src.device.index(), src.address, address, size));
    } else if (device.equals(src.device)) {
      Native.cuda("copy_device", CudaKernels.pvll_cuda_copy_device(device.index(), src.address, address, size, 0));
    } else {
      try (Tensor staging = Tensor.empty(Device.cpu(), shape)) {
        staging.copyFrom(src);
        copyFrom(staging);
      }
    }
  }

  /**
   * The contents as a new Java array, row-major (waits for pending device work).
   *
   * @return a copy of the values
   * @throws IllegalStateException when closed or too large for a Java array
   * @throws KernelException when the copy fails (on CUDA also an earlier asynchronous error)
   */
  public float[] toArray() {
    checkOpen();
    if (size > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for a Java array: " + size);
    float[] out = new float[(int) size];
    if (device.isCpu()) {
      Native.cpu("copy_to_host", CpuKernels.pvll_host_copy(address, out, size));
    } else {
      Native.cuda("copy_to_host", CudaKernels.pvll_cuda_copy_to_host(device.index(), address, out, size));
    }
    return out;
  }

  /**
   * A new tensor with this one's shape and contents on another device ({@code x.to(device)},
   * but always a copy).
   *
   * @param target the device of the copy
   * @return the copy, owned by the open {@link Scope}, if any
   * @throws IllegalStateException when closed
   * @throws KernelException when the allocation or the copy fails
   */
  public Tensor to(Device target) {
    checkOpen();
    Tensor t = empty(target, shape);
    try {
      t.copyFrom(this);
    } catch (RuntimeException e) {
      t.close(); // nothing half-made is left behind
      throw e;
    }
    return t;
  }

  /**
   * Throws {@link IllegalStateException} if this tensor or its owner is closed.
   *
   * @throws IllegalStateException when closed, naming where when {@code -Dpvll.debug.close=true}
   */
  public void checkOpen() {
    if (isClosed()) {
      Throwable where = closed ? closedAt : owner.closedAt;
      IllegalStateException e = new IllegalStateException("tensor " + Arrays.toString(shape) + " on " + device
          + (closed ? " was closed" : " is a view of a closed tensor")
          + (where == null ? " (run with -Dpvll.debug.close=true to record where)" : "; closed at:"));
      if (where != null) e.initCause(where);
      throw e;
    }
  }

  /**
   * Frees the memory (views free nothing). Harmless when already closed.
   *
   * @throws KernelException when freeing device memory fails
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
      if (DEBUG_CLOSE) closedAt = new Throwable("closed here");
    }
    if (owner != null) return;
    if (device.isCpu()) {
      CpuKernels.pvll_host_free(address);
    } else {
      Native.cuda("free", CudaKernels.pvll_cuda_free(device.index(), address));
    }
  }

  /**
   * A short description, e.g. {@code Tensor[8, 16, 32, 32]@cuda:0}.
   *
   * @return the shape, the device and whether closed
   */
  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape) + "@" + device + (isClosed() ? " (closed)" : "");
  }

  static long count(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  private static int[] checkShape(int[] shape) {
    if (shape.length < 1 || shape.length > 4) {
      throw new IllegalArgumentException("tensor rank must be 1 to 4, got shape " + Arrays.toString(shape));
    }
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
    }
    return shape.clone();
  }
}
