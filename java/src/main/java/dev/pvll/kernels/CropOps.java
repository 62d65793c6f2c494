package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;

/** Spatial crop of NCHW tensors: a window of the height and width, all images and channels. */
public final class CropOps {
  private CropOps() {}

  /** y = x[:, :, top : top + y.H, left : left + y.W]. */
  public static void cropForward(Tensor x, Tensor y, int top, int left) {
    Device d = Checks.sameDevice("crop_forward", x, y);
    Checks.rank("crop_forward", "x", x, 4);
    Checks.shape("crop_forward", "y", y, x.dim(0), x.dim(1), y.dim(2), y.dim(3));
    checkWindow("crop_forward", x, y, top, left);
    if (d.isCuda()) throw new KernelException("crop_forward", KernelException.NO_CUDA, "no CUDA kernel yet");
    Native.cpu("crop_forward", CpuKernels.pvll_crop_forward(x.address(), y.address(), x.dim(0), x.dim(1), x.dim(2), x.dim(3),
        top, left, y.dim(2), y.dim(3)));
  }

  /** dx[:, :, top : top + dy.H, left : left + dy.W] (+)= dy; the rest of dx is zeroed unless accumulate. */
  public static void cropBackward(Tensor dy, Tensor dx, int top, int left, boolean accumulate) {
    Device d = Checks.sameDevice("crop_backward", dy, dx);
    Checks.rank("crop_backward", "dx", dx, 4);
    Checks.shape("crop_backward", "dy", dy, dx.dim(0), dx.dim(1), dy.dim(2), dy.dim(3));
    checkWindow("crop_backward", dx, dy, top, left);
    if (d.isCuda()) throw new KernelException("crop_backward", KernelException.NO_CUDA, "no CUDA kernel yet");
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
