package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/** Spatial ops on NCHW tensors: crops and general average pooling. */
public final class SpatialOps {
  private SpatialOps() {}

  /** Output size of a k-window pooling with stride s and padding p. */
  public static int poolOutputSize(int in, int k, int s, int p) {
    return (in + 2 * p - k) / s + 1;
  }

  /** k x k average pooling, stride s, padding p, padding excluded from the divisor. */
  public static void avgPoolForward(Tensor x, Tensor y, int k, int s, int p) {
    Device d = Checks.sameDevice("avg_pool_forward", x, y);
    Checks.rank("avg_pool_forward", "x", x, 4);
    if (k < 1 || s < 1 || p < 0 || p >= k || x.dim(2) + 2 * p < k || x.dim(3) + 2 * p < k) {
      throw new IllegalArgumentException("avg_pool_forward: bad geometry k=" + k + " s=" + s + " p=" + p + " for " + x);
    }
    Checks.shape("avg_pool_forward", "y", y, x.dim(0), x.dim(1), poolOutputSize(x.dim(2), k, s, p), poolOutputSize(x.dim(3), k, s, p));
    if (d.isCuda()) {
      Native.cuda("avg_pool_forward", CudaLayerKernels.pvll_cuda_avg_pool_forward(x.address(), y.address(), x.dim(0), x.dim(1),
          x.dim(2), x.dim(3), k, s, p, 0));
      return;
    }
    Native.cpu("avg_pool_forward", CpuKernels.pvll_avg_pool_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), k, s, p));
  }

  /** dx (+)= the gradient of {@link #avgPoolForward} for dy. */
  public static void avgPoolBackward(Tensor dy, Tensor dx, int k, int s, int p, boolean accumulate) {
    Device d = Checks.sameDevice("avg_pool_backward", dy, dx);
    Checks.rank("avg_pool_backward", "dx", dx, 4);
    if (k < 1 || s < 1 || p < 0 || p >= k || dx.dim(2) + 2 * p < k || dx.dim(3) + 2 * p < k) {
      throw new IllegalArgumentException("avg_pool_backward: bad geometry k=" + k + " s=" + s + " p=" + p + " for " + dx);
    }
    Checks.shape("avg_pool_backward", "dy", dy, dx.dim(0), dx.dim(1), poolOutputSize(dx.dim(2), k, s, p), poolOutputSize(dx.dim(3), k, s, p));
    if (d.isCuda()) {
      Native.cuda("avg_pool_backward", CudaLayerKernels.pvll_cuda_avg_pool_backward(dy.address(), dx.address(), dx.dim(0),
          dx.dim(1), dx.dim(2), dx.dim(3), k, s, p, accumulate ? 1 : 0, 0));
      return;
    }
    Native.cpu("avg_pool_backward", CpuKernels.pvll_avg_pool_backward(dy.address(), dx.address(), dx.dim(0), dx.dim(1), dx.dim(2),
        dx.dim(3), k, s, p, accumulate ? 1 : 0));
  }

  /** y = x[:, :, top : top + y.H, left : left + y.W]. */
  public static void cropForward(Tensor x, Tensor y, int top, int left) {
    Device d = Checks.sameDevice("crop_forward", x, y);
    Checks.rank("crop_forward", "x", x, 4);
    Checks.rank("crop_forward", "y", y, 4);
    Checks.shape("crop_forward", "y", y, x.dim(0), x.dim(1), y.dim(2), y.dim(3));
    checkWindow("crop_forward", x, y, top, left);
    if (d.isCuda()) {
      Native.cuda("crop_forward", CudaLayerKernels.pvll_cuda_crop_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2),
          x.dim(3), top, left, y.dim(2), y.dim(3), 0));
      return;
    }
    Native.cpu("crop_forward", CpuKernels.pvll_crop_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2), x.dim(3),
        top, left, y.dim(2), y.dim(3)));
  }

  /** dx[:, :, top : top + dy.H, left : left + dy.W] (+)= dy; the rest of dx is zeroed unless accumulate. */
  public static void cropBackward(Tensor dy, Tensor dx, int top, int left, boolean accumulate) {
    Device d = Checks.sameDevice("crop_backward", dy, dx);
    Checks.rank("crop_backward", "dx", dx, 4);
    Checks.rank("crop_backward", "dy", dy, 4);
    Checks.shape("crop_backward", "dy", dy, dx.dim(0), dx.dim(1), dy.dim(2), dy.dim(3));
    checkWindow("crop_backward", dx, dy, top, left);
    if (d.isCuda()) {
      Native.cuda("crop_backward", CudaLayerKernels.pvll_cuda_crop_backward(dy.address(), dx.address(), dx.dim(0), dx.dim(1),
          dx.dim(2), dx.dim(3), top, left, dy.dim(2), dy.dim(3), accumulate ? 1 : 0, 0));
      return;
    }
    Native.cpu("crop_backward", CpuKernels.pvll_crop_backward(dy.address(), dx.address(), dx.dim(0), dx.dim(1), dx.dim(2),
        dx.dim(3), top, left, dy.dim(2), dy.dim(3), accumulate ? 1 : 0));
  }

  private static void checkWindow(String op, Tensor big, Tensor window, int top, int left) {
    if (top < 0 || left < 0 || top + window.dim(2) > big.dim(2) || left + window.dim(3) > big.dim(3)) {
      throw new IllegalArgumentException(op + ": window " + window.dim(2) + "x" + window.dim(3) + " at (" + top + "," + left
          + ") does not fit in " + big.dim(2) + "x" + big.dim(3));
    }
  }
}
