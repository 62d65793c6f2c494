package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.required;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * 3x3 max and average pooling (padding 1, stride 1 or 2) and global average pooling over NCHW
 * float32 tensors, as {@code F.max_pool2d(x, 3, stride, 1)},
 * {@code F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)} and
 * {@code F.adaptive_avg_pool2d(x, 1)} ({@code F} = {@code torch.nn.functional}). A 3x3 pool
 * of x {@code [N, C, H, W]} gives {@code [N, C, (H-1)/stride+1, (W-1)/stride+1]}. Forward
 * passes overwrite y; the backward passes overwrite dx, or add into it with
 * {@code accumulate}, and never touch x or dy. For other windows see {@link SpatialOps}.
 *
 * <p><b>Determinism.</b> On the CPU work is split by planes: bit-identical from run to run and
 * for any thread count. On CUDA the backward passes gather (one thread per dx value sums the dy
 * of every covering window in a fixed order, no atomics): bit-identical from run to run, and
 * equal to the CPU's to float rounding.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op and
 * argument): no tensor is null; all are on one device; stride is 1 or 2; the full-size tensor
 * (x or dx) has rank 4 and a non-empty H x W map; the other tensors have exactly the shapes
 * stated. A closed tensor throws {@link IllegalStateException}; a native failure
 * {@link KernelException}. Outputs must not overlap inputs (checked: IllegalArgumentException
 * naming both). On CUDA every op is enqueued on the ops' stream and returns at once.
 */
public final class PoolOps {
  private PoolOps() {}

  /**
   * y = the max of each 3x3 window of x (padding 1, padded values never win), as
   * {@code F.max_pool2d(x, 3, stride, 1)}; a NaN in a window gives NaN, as in PyTorch.
   *
   * @param x input [N, C, H, W]
   * @param y output [N, C, (H-1)/stride+1, (W-1)/stride+1]
   * @param stride 1 or 2
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void maxPool3x3Forward(Tensor x, Tensor y, int stride) {
    String op = "max_pool3x3_forward";
    int[] s = checkPool(op, x, y, stride, "x", "y");
    Checks.apart(op, "y", y, "x", x);
    long planes = (long) s[0] * s[1];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_max_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3], stride));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_max_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3],
          stride, 0));
    }
  }

  /**
   * dx (+)= the gradient of {@link #maxPool3x3Forward}: each dy value goes to the first maximum
   * of its window in row-major order (PyTorch's rule on ties; a NaN counts as the maximum).
   *
   * @param x the forward input [N, C, H, W]
   * @param dy gradient of the output [N, C, (H-1)/stride+1, (W-1)/stride+1]
   * @param dx gradient of the input, x's shape
   * @param stride 1 or 2
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void maxPool3x3Backward(Tensor x, Tensor dy, Tensor dx, int stride, boolean accumulate) {
    String op = "max_pool3x3_backward";
    required(op, "dx", dx);
    int[] s = checkPool(op, x, dy, stride, "x", "dy", dx);
    Checks.shape(op, "dx", dx, s);
    Checks.apart(op, "dx", dx, "x", x);
    Checks.apart(op, "dx", dx, "dy", dy);
    long planes = (long) s[0] * s[1];
    int acc = accumulate ? 1 : 0;
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_max_pool3x3_backward(x.address(), dy.address(), dx.address(), planes, s[2],
          s[3], stride, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_max_pool3x3_backward(x.address(), dy.address(), dx.address(), planes,
          s[2], s[3], stride, acc, 0));
    }
  }

  /**
   * y = the mean of the in-bounds part of each 3x3 window (padding 1 excluded from the
   * divisor), as {@code F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)}.
   *
   * @param x input [N, C, H, W]
   * @param y output [N, C, (H-1)/stride+1, (W-1)/stride+1]
   * @param stride 1 or 2
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void avgPool3x3Forward(Tensor x, Tensor y, int stride) {
    String op = "avg_pool3x3_forward";
    int[] s = checkPool(op, x, y, stride, "x", "y");
    Checks.apart(op, "y", y, "x", x);
    long planes = (long) s[0] * s[1];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_avg_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3], stride));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_avg_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3],
          stride, 0));
    }
  }

  /**
   * dx (+)= the gradient of {@link #avgPool3x3Forward}: each dy value spread evenly over the
   * in-bounds part of its window.
   *
   * @param dy gradient of the output [N, C, (H-1)/stride+1, (W-1)/stride+1]
   * @param dx gradient of the input [N, C, H, W]; its shape gives the input size
   * @param stride 1 or 2
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void avgPool3x3Backward(Tensor dy, Tensor dx, int stride, boolean accumulate) {
    String op = "avg_pool3x3_backward";
    int[] s = checkPool(op, dx, dy, stride, "dx", "dy");
    Checks.apart(op, "dx", dx, "dy", dy);
    long planes = (long) s[0] * s[1];
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_avg_pool3x3_backward(dy.address(), dx.address(), planes, s[2], s[3], stride,
          acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_avg_pool3x3_backward(dy.address(), dx.address(), planes, s[2], s[3],
          stride, acc, 0));
    }
  }

  /**
   * y[n][c] = the mean of x[n][c] over H x W, as {@code F.adaptive_avg_pool2d(x, 1)} (or
   * {@code x.mean((2, 3))} for a rank-2 y).
   *
   * @param x input [N, C, H, W], H * W &gt; 0
   * @param y output [N, C] or [N, C, 1, 1]
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void globalAvgPoolForward(Tensor x, Tensor y) {
    String op = "global_avg_pool_forward";
    int[] s = checkGlobal(op, x, y, "x", "y");
    Checks.apart(op, "y", y, "x", x);
    long planes = (long) s[0] * s[1], hw = (long) s[2] * s[3];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_global_avg_pool_forward(x.address(), y.address(), planes, hw));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_global_avg_pool_forward(x.address(), y.address(), planes, hw, 0));
    }
  }

  /**
   * dx[n][c][h][w] (+)= dy[n][c] / (H*W): the gradient of {@link #globalAvgPoolForward}.
   *
   * @param dy gradient of the output [N, C] or [N, C, 1, 1]
   * @param dx gradient of the input [N, C, H, W], H * W &gt; 0
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void globalAvgPoolBackward(Tensor dy, Tensor dx, boolean accumulate) {
    String op = "global_avg_pool_backward";
    int[] s = checkGlobal(op, dx, dy, "dx", "dy");
    Checks.apart(op, "dx", dx, "dy", dy);
    long planes = (long) s[0] * s[1], hw = (long) s[2] * s[3];
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_global_avg_pool_backward(dy.address(), dx.address(), planes, hw, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_global_avg_pool_backward(dy.address(), dx.address(), planes, hw, acc,
          0));
    }
  }

  /** Checks a full-size tensor and its pooled partner; returns the full shape. */
  private static int[] checkPool(String op, Tensor full, Tensor pooled, int stride, String fullName, String pooledName,
      Tensor... others) {
    required(op, fullName, full);
    required(op, pooledName, pooled);
    Tensor[] all = new Tensor[others.length + 2];
    all[0] = full;
    all[1] = pooled;
    System.arraycopy(others, 0, all, 2, others.length);
    LayerChecks.devices(op, all);
    LayerChecks.stride(op, stride);
    int[] s = LayerChecks.nchw(op, fullName, full);
    if (s[2] == 0 || s[3] == 0) throw new IllegalArgumentException(op + ": empty map " + LayerChecks.shapeOf(full));
    Checks.shape(op, pooledName, pooled, s[0], s[1], (s[2] - 1) / stride + 1, (s[3] - 1) / stride + 1);
    return s;
  }

  private static int[] checkGlobal(String op, Tensor full, Tensor pooled, String fullName, String pooledName) {
    required(op, fullName, full);
    required(op, pooledName, pooled);
    LayerChecks.devices(op, full, pooled);
    int[] s = LayerChecks.nchw(op, fullName, full);
    if (s[2] * s[3] == 0) throw new IllegalArgumentException(op + ": empty map " + LayerChecks.shapeOf(full));
    if (pooled.rank() == 4) Checks.shape(op, pooledName, pooled, s[0], s[1], 1, 1);
    else Checks.shape(op, pooledName, pooled, s[0], s[1]);
    return s;
  }
}
