package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import dev.pvll.kernels.bind.CudaKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Elementwise ops over tensors of any shape: ReLU forward and backward, scale-and-accumulate,
 * and the dot product.
 *
 * <p><b>Determinism.</b> The elementwise ops compute each element on its own: bit-identical
 * from run to run and for any thread count; ReLU is exact on both devices, {@link #scaleAdd}
 * agrees across devices to float rounding. {@link #dot} sums in double in fixed chunks combined
 * in order (CPU) or in fixed per-block slices that one block sums in order (CUDA, no atomics):
 * bit-identical from run to run on one device, equal across devices to double rounding.
 *
 * <p><b>Checks before the native call</b>: no tensor is null and all are on one device
 * ({@link IllegalArgumentException}), all are open ({@link IllegalStateException}), and the
 * shapes (ReLU) or element counts ({@link #scaleAdd}, {@link #dot}) agree, and an output is
 * either exactly an input (in place, where the method allows it) or shares no memory with it
 * ({@link IllegalArgumentException} naming both). A native failure throws
 * {@link KernelException}. On CUDA the ops are enqueued on the ops' stream and return at once,
 * except {@link #dot}, which waits.
 */
public final class ElementwiseOps {
  private ElementwiseOps() {}

  /**
   * y = max(x, 0), as {@code torch.relu(x)} (or {@code torch.relu_(x)} when y is x). A NaN in x
   * stays NaN on both devices, as in PyTorch.
   *
   * @param x input, any shape
   * @param y output of x's shape; may be x, else apart from it
   * @throws IllegalArgumentException when a tensor is null, the devices differ, the shapes differ
   *     or y overlaps x without being x
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void reluForward(Tensor x, Tensor y) {
    Device d = Checks.sameDevice("relu_forward", x, y);
    Checks.sameShape("relu_forward", x, y);
    Checks.apartOrSame("relu_forward", "y", y, "x", x);
    if (d.isCpu()) Native.cpu("relu_forward", CpuKernels.pvll_relu_forward(x.address(), y.address(), x.size()));
    else Native.cuda("relu_forward", CudaKernels.pvll_cuda_relu_forward(x.address(), y.address(), x.size(), 0));
  }

  /**
   * {@link #reluForward} into a new tensor like x (which joins the open {@link Scope}, if any).
   *
   * @param x input, any shape
   * @return max(x, 0) on x's device
   * @throws IllegalStateException when x is closed
   * @throws KernelException when the allocation or the native call fails
   */
  public static Tensor relu(Tensor x) {
    x.checkOpen();
    Tensor y = Tensor.emptyLike(x);
    try {
      reluForward(x, y);
    } catch (RuntimeException e) {
      y.close(); // nothing half-made is left behind
      throw e;
    }
    return y;
  }

  /**
   * dx = dy where x &gt; 0 or x is NaN, else 0: the gradient of {@link #reluForward}, as
   * autograd's {@code threshold_backward(dy, x, 0)}. Always overwrites dx.
   *
   * @param x the forward input, any shape
   * @param dy gradient of the output, x's shape
   * @param dx gradient of the input, x's shape; may be dy or x, else apart from both
   * @throws IllegalArgumentException when a tensor is null, the devices differ, the shapes differ
   *     or dx overlaps x or dy without being it
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void reluBackward(Tensor x, Tensor dy, Tensor dx) {
    Device d = Checks.sameDevice("relu_backward", x, dy, dx);
    Checks.sameShape("relu_backward", x, dy);
    Checks.sameShape("relu_backward", x, dx);
    Checks.apartOrSame("relu_backward", "dx", dx, "dy", dy);
    Checks.apartOrSame("relu_backward", "dx", dx, "x", x);
    if (d.isCpu()) {
      Native.cpu("relu_backward", CpuKernels.pvll_relu_backward(x.address(), dy.address(), dx.address(), x.size()));
    } else {
      Native.cuda("relu_backward", CudaKernels.pvll_cuda_relu_backward(x.address(), dy.address(), dx.address(), x.size(), 0));
    }
  }

  /**
   * y = alpha * x + (accumulate ? y : 0), over the flat values: {@code y.add_(x, alpha=alpha)}
   * when accumulating, else {@code torch.mul(x, alpha, out=y)}. Shapes may differ when the
   * element counts agree.
   *
   * @param x input
   * @param alpha the scale
   * @param y output with x's element count; may be x, else apart from it
   * @param accumulate add into y instead of overwriting it
   * @throws IllegalArgumentException when a tensor is null, the devices differ, the sizes differ
   *     or y overlaps x without being x
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void scaleAdd(Tensor x, float alpha, Tensor y, boolean accumulate) {
    Device d = Checks.sameDevice("scale_add", x, y);
    Checks.sameSize("scale_add", x, y);
    Checks.apartOrSame("scale_add", "y", y, "x", x);
    int acc = accumulate ? 1 : 0;
    if (d.isCpu()) Native.cpu("scale_add", CpuKernels.pvll_scale_add(x.address(), alpha, y.address(), x.size(), acc));
    else Native.cuda("scale_add", CudaKernels.pvll_cuda_scale_add(x.address(), alpha, y.address(), x.size(), acc, 0));
  }

  /**
   * The sum of a * b over all elements, products and sum in double:
   * {@code torch.dot(a.flatten().double(), b.flatten().double())}. On CUDA this waits for the
   * device.
   *
   * @param a first operand
   * @param b second operand, with a's element count (shapes may differ)
   * @return the dot product (0 for empty tensors)
   * @throws IllegalArgumentException when a tensor is null, the devices differ or the sizes differ
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
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
