package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Spatial ops on NCHW float32 tensors: crops (FactorizedReduce's shifted half reads
 * {@code x[:, :, 1:, 1:]}) and k x k average pooling with any stride and padding (the
 * auxiliary head pools 5x5 with stride 3). For 3x3 pools see {@link PoolOps}.
 *
 * <p><b>Determinism.</b> The CPU splits the work by planes, each done by one thread in a fixed
 * order; on CUDA one thread computes each output value and the backward passes gather, with no
 * atomics. Bit-identical from run to
 * run and for any thread count; across devices crops are exact and pools agree to float
 * rounding.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op):
 * no tensor is null; both tensors are on one device; both have rank 4; the pool geometry
 * ({@code k >= 1, s >= 1, 0 <= p < k}, the padded input at least k wide and high) and the crop
 * window (inside the input) are valid; the other tensor has exactly the stated shape. A closed
 * tensor throws {@link IllegalStateException}; what only the native side checks (e.g. an empty
 * map) and native failures throw {@link KernelException}. Outputs must not overlap inputs
 * (checked: IllegalArgumentException naming both). On CUDA the ops are enqueued on the ops'
 * stream and return at once.
 */
public final class SpatialOps {
  private SpatialOps() {}

  /**
   * Output size of a k-window pooling with stride s and padding p: {@code (in + 2p - k) / s + 1}
   * (PyTorch's {@code ceil_mode=False}). Checks nothing.
   *
   * @param in input size
   * @param k window size
   * @param s stride
   * @param p padding on each side
   * @return the output size
   */
  public static int poolOutputSize(int in, int k, int s, int p) {
    return (in + 2 * p - k) / s + 1;
  }

  /**
   * k x k average pooling, stride s, zero padding p excluded from the divisor:
   * {@code F.avg_pool2d(x, k, s, p, ceil_mode=False, count_include_pad=False)} (which also
   * requires {@code p <= k/2}; here {@code p < k} suffices). Overwrites y.
   *
   * @param x input [N, C, H, W]
   * @param y output [N, C, poolOutputSize(H, k, s, p), poolOutputSize(W, k, s, p)]
   * @param k window size, at least 1
   * @param s stride, at least 1
   * @param p padding, 0 to k - 1
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void avgPoolForward(Tensor x, Tensor y, int k, int s, int p) {
    Device d = Checks.sameDevice("avg_pool_forward", x, y);
    Checks.rank("avg_pool_forward", "x", x, 4);
    if (k < 1 || s < 1 || p < 0 || p >= k || x.dim(2) + 2 * p < k || x.dim(3) + 2 * p < k) {
      throw new IllegalArgumentException("avg_pool_forward: bad geometry k=" + k + " s=" + s + " p=" + p + " for " + x);
    }
    Checks.shape("avg_pool_forward", "y", y, x.dim(0), x.dim(1), poolOutputSize(x.dim(2), k, s, p), poolOutputSize(x.dim(3), k, s, p));
    Checks.apart("avg_pool_forward", "y", y, "x", x);
    if (d.isCuda()) {
      Native.cuda("avg_pool_forward", CudaLayerKernels.pvll_cuda_avg_pool_forward(x.address(), y.address(), x.dim(0), x.dim(1),
          x.dim(2), x.dim(3), k, s, p, 0));
      return;
    }
    Native.cpu("avg_pool_forward", CpuKernels.pvll_avg_pool_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), k, s, p));
  }

  /**
   * dx (+)= the gradient of {@link #avgPoolForward} for dy; dx is zeroed first unless
   * accumulating.
   *
   * @param dy gradient of the output [N, C, poolOutputSize(H, k, s, p), poolOutputSize(W, k, s, p)]
   * @param dx gradient of the input [N, C, H, W]; its shape gives H and W
   * @param k window size, at least 1
   * @param s stride, at least 1
   * @param p padding, 0 to k - 1
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void avgPoolBackward(Tensor dy, Tensor dx, int k, int s, int p, boolean accumulate) {
    Device d = Checks.sameDevice("avg_pool_backward", dy, dx);
    Checks.rank("avg_pool_backward", "dx", dx, 4);
    if (k < 1 || s < 1 || p < 0 || p >= k || dx.dim(2) + 2 * p < k || dx.dim(3) + 2 * p < k) {
      throw new IllegalArgumentException("avg_pool_backward: bad geometry k=" + k + " s=" + s + " p=" + p + " for " + dx);
    }
    Checks.shape("avg_pool_backward", "dy", dy, dx.dim(0), dx.dim(1), poolOutputSize(dx.dim(2), k, s, p), poolOutputSize(dx.dim(3), k, s, p));
    Checks.apart("avg_pool_backward", "dx", dx, "dy", dy);
    if (d.isCuda()) {
      Native.cuda("avg_pool_backward", CudaLayerKernels.pvll_cuda_avg_pool_backward(dy.address(), dx.address(), dx.dim(0),
          dx.dim(1), dx.dim(2), dx.dim(3), k, s, p, accumulate ? 1 : 0, 0));
      return;
    }
    Native.cpu("avg_pool_backward", CpuKernels.pvll_avg_pool_backward(dy.address(), dx.address(), dx.dim(0), dx.dim(1), dx.dim(2),
        dx.dim(3), k, s, p, accumulate ? 1 : 0));
  }

  /**
   * y = {@code x[:, :, top : top + oh, left : left + ow]} with {@code [oh, ow]} y's map size.
   *
   * @param x input [N, C, H, W]
   * @param y output [N, C, oh, ow], the window lying inside x
   * @param top first row of the window, at least 0
   * @param left first column of the window, at least 0
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void cropForward(Tensor x, Tensor y, int top, int left) {
    Device d = Checks.sameDevice("crop_forward", x, y);
    Checks.rank("crop_forward", "x", x, 4);
    Checks.rank("crop_forward", "y", y, 4);
    Checks.shape("crop_forward", "y", y, x.dim(0), x.dim(1), y.dim(2), y.dim(3));
    checkWindow("crop_forward", x, y, top, left);
    Checks.apart("crop_forward", "y", y, "x", x);
    if (d.isCuda()) {
      Native.cuda("crop_forward", CudaLayerKernels.pvll_cuda_crop_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2),
          x.dim(3), top, left, y.dim(2), y.dim(3), 0));
      return;
    }
    Native.cpu("crop_forward", CpuKernels.pvll_crop_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2), x.dim(3),
        top, left, y.dim(2), y.dim(3)));
  }

  /**
   * {@code dx[:, :, top : top + oh, left : left + ow]} (+)= dy, the gradient of
   * {@link #cropForward}; the rest of dx is zeroed unless accumulating.
   *
   * @param dy gradient of the output [N, C, oh, ow]
   * @param dx gradient of the input [N, C, H, W], the window lying inside it
   * @param top first row of the window, at least 0
   * @param left first column of the window, at least 0
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void cropBackward(Tensor dy, Tensor dx, int top, int left, boolean accumulate) {
    Device d = Checks.sameDevice("crop_backward", dy, dx);
    Checks.rank("crop_backward", "dx", dx, 4);
    Checks.rank("crop_backward", "dy", dy, 4);
    Checks.shape("crop_backward", "dy", dy, dx.dim(0), dx.dim(1), dy.dim(2), dy.dim(3));
    checkWindow("crop_backward", dx, dy, top, left);
    Checks.apart("crop_backward", "dx", dx, "dy", dy);
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
