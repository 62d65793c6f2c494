package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.required;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * 3x3 max and average pooling (padding 1, stride 1 or 2) and global average pooling over NCHW
 * tensors, as PyTorch's max_pool2d, avg_pool2d(count_include_pad=false) and
 * adaptive_avg_pool2d(1). A 3x3 pool of an H x W map gives (H-1)/stride+1 x (W-1)/stride+1.
 * "accumulate" adds into the output instead of overwriting it. On CUDA the backward passes
 * gather (no atomics), so every result is deterministic there too.
 */
public final class PoolOps {
  private PoolOps() {}

  /** y = the max of each 3x3 window of x; a NaN in a window gives NaN. x [N,C,H,W], y [N,C,Ho,Wo]. */
  public static void maxPool3x3Forward(Tensor x, Tensor y, int stride) {
    String op = "max_pool3x3_forward";
    int[] s = checkPool(op, x, y, stride, "x", "y");
    long planes = (long) s[0] * s[1];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_max_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3], stride));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_max_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3],
          stride, 0));
    }
  }

  /**
   * dx of the max pool: each dy goes to the first maximum of its window in row-major order
   * (PyTorch's rule on ties). x is the forward input [N,C,H,W], dy [N,C,Ho,Wo], dx like x.
   */
  public static void maxPool3x3Backward(Tensor x, Tensor dy, Tensor dx, int stride, boolean accumulate) {
    String op = "max_pool3x3_backward";
    required(op, "dx", dx);
    int[] s = checkPool(op, x, dy, stride, "x", "dy", dx);
    Checks.shape(op, "dx", dx, s);
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

  /** y = the mean of the in-bounds part of each 3x3 window (count_include_pad = false). */
  public static void avgPool3x3Forward(Tensor x, Tensor y, int stride) {
    String op = "avg_pool3x3_forward";
    int[] s = checkPool(op, x, y, stride, "x", "y");
    long planes = (long) s[0] * s[1];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_avg_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3], stride));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_avg_pool3x3_forward(x.address(), y.address(), planes, s[2], s[3],
          stride, 0));
    }
  }

  /** dx of the average pool: dy [N,C,Ho,Wo], dx [N,C,H,W] (its shape gives the input size). */
  public static void avgPool3x3Backward(Tensor dy, Tensor dx, int stride, boolean accumulate) {
    String op = "avg_pool3x3_backward";
    int[] s = checkPool(op, dx, dy, stride, "dx", "dy");
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

  /** y[n][c] = mean of x[n][c] over H x W. x [N,C,H,W], y [N,C] (or [N,C,1,1]). */
  public static void globalAvgPoolForward(Tensor x, Tensor y) {
    String op = "global_avg_pool_forward";
    int[] s = checkGlobal(op, x, y, "x", "y");
    long planes = (long) s[0] * s[1], hw = (long) s[2] * s[3];
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_global_avg_pool_forward(x.address(), y.address(), planes, hw));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_global_avg_pool_forward(x.address(), y.address(), planes, hw, 0));
    }
  }

  /** dx[n][c][h][w] = dy[n][c] / (H*W). dy [N,C] (or [N,C,1,1]), dx [N,C,H,W]. */
  public static void globalAvgPoolBackward(Tensor dy, Tensor dx, boolean accumulate) {
    String op = "global_avg_pool_backward";
    int[] s = checkGlobal(op, dx, dy, "dx", "dy");
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
