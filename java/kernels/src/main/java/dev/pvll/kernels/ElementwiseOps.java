package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/** Elementwise ops: ReLU forward and backward, scale-and-accumulate. Any shape. */
public final class ElementwiseOps {
  private ElementwiseOps() {}

  /** y = max(x, 0) into y (same shape; y may be x). */
  public static void reluForward(Tensor x, Tensor y) {
    Device d = Checks.sameDevice("relu_forward", x, y);
    Checks.sameShape("relu_forward", x, y);
    if (d.isCpu()) Native.cpu("relu_forward", CpuKernels.pvll_relu_forward(x.address(), y.address(), x.size()));
    else Native.cuda("relu_forward", CudaKernels.pvll_cuda_relu_forward(x.address(), y.address(), x.size(), 0));
  }

  /** A new tensor max(x, 0). */
  public static Tensor relu(Tensor x) {
    Tensor y = Tensor.emptyLike(x);
    reluForward(x, y);
    return y;
  }

  /** dx = dy where x > 0, else 0 (x is the forward input; dx may be dy). */
  public static void reluBackward(Tensor x, Tensor dy, Tensor dx) {
    Device d = Checks.sameDevice("relu_backward", x, dy, dx);
    Checks.sameShape("relu_backward", x, dy);
    Checks.sameShape("relu_backward", x, dx);
    if (d.isCpu()) {
      Native.cpu("relu_backward", CpuKernels.pvll_relu_backward(x.address(), dy.address(), dx.address(), x.size()));
    } else {
      Native.cuda("relu_backward", CudaKernels.pvll_cuda_relu_backward(x.address(), dy.address(), dx.address(), x.size(), 0));
    }
  }

  /** y = alpha * x + (accumulate ? y : 0), x and y of equal size. */
  public static void scaleAdd(Tensor x, float alpha, Tensor y, boolean accumulate) {
    Device d = Checks.sameDevice("scale_add", x, y);
    Checks.sameSize("scale_add", x, y);
    int acc = accumulate ? 1 : 0;
    if (d.isCpu()) Native.cpu("scale_add", CpuKernels.pvll_scale_add(x.address(), alpha, y.address(), x.size(), acc));
    else Native.cuda("scale_add", CudaKernels.pvll_cuda_scale_add(x.address(), alpha, y.address(), x.size(), acc, 0));
  }

  /** sum of a * b over all elements (equal sizes), accumulated in double, deterministic. */
  public static double dot(Tensor a, Tensor b) {
    Device d = Checks.sameDevice("dot", a, b);
    Checks.sameSize("dot", a, b);
    if (d.isCuda()) {
      return Native.cudaDouble("dot", d, out -> CudaLayerKernels.pvll_cuda_dot(a.address(), b.address(), a.size(), out, 0));
    }
    double[] out = new double[1];
    Native.cpu("dot", CpuKernels.pvll_dot(a.address(), b.address(), a.size(), out));
    return out[0];
  }
}
