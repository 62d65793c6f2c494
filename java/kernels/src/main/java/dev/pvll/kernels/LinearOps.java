package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.address;
import static dev.pvll.kernels.LayerChecks.required;
import static dev.pvll.kernels.LayerChecks.shapeOrNull;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Fully connected layer y = x w^T + b over row-major float32 matrices, as
 * {@code torch.nn.functional.linear(x, w, b)}, and its gradients.
 *
 * <p><b>Determinism.</b> On the CPU every output value is summed by one thread in a fixed
 * order: bit-identical from run to run and for any thread count. On CUDA the forward uses one
 * warp per output value with a fixed shuffle tree and the backward one thread per gradient
 * value summing in order, with no atomics: bit-identical from run to run, within float rounding
 * of the CPU's.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op and
 * argument): the required tensors are not null; x and w have rank 2 and w takes x's width;
 * w has no zero dimension; every other tensor has exactly its shape below; all tensors are on
 * one device. A closed tensor throws {@link IllegalStateException}; a native failure
 * {@link KernelException}. Outputs must not overlap inputs or each other (checked:
 * IllegalArgumentException naming both).
 */
public final class LinearOps {
  private LinearOps() {}

  /**
   * y = x w^T + b, as {@code F.linear(x, w, b)}. Overwrites y.
   *
   * @param x input [N, in]
   * @param w weight [out, in]
   * @param b bias [out] or null
   * @param y output [N, out] (not x or w)
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void linearForward(Tensor x, Tensor w, Tensor b, Tensor y) {
    String op = "linear_forward";
    int[] dims = check(op, x, w, y, "y");
    shapeOrNull(op, "b", b, dims[2]);
    Device device = LayerChecks.devices(op, x, w, b, y);
    Checks.apart(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "w", w);
    Checks.apart(op, "y", y, "b", b);
    if (device.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_linear_forward(x.address(), w.address(), address(b), y.address(), dims[0],
          dims[1], dims[2]));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_linear_forward(x.address(), w.address(), address(b), y.address(),
          dims[0], dims[1], dims[2], 0));
    }
  }

  /**
   * Gradients of the linear layer, as autograd gives them for {@code F.linear}: dx = dy w,
   * dw = dy^T x, db = column sums of dy ({@code dy.sum(0)}).
   *
   * @param x forward input [N, in]
   * @param w weight [out, in]
   * @param dy gradient of the output [N, out]
   * @param dx gradient of x [N, in], or null when not wanted
   * @param dw gradient of w [out, in]
   * @param db gradient of b [out], or null
   * @param accumulate add into dx, dw and db instead of overwriting them
   * @throws IllegalArgumentException when a check of the class comment fails (dw is required)
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
      boolean accumulate) {
    String op = "linear_backward";
    int[] dims = check(op, x, w, dy, "dy");
    required(op, "dw", dw);
    Checks.shape(op, "dw", dw, dims[2], dims[1]);
    shapeOrNull(op, "dx", dx, dims[0], dims[1]);
    shapeOrNull(op, "db", db, dims[2]);
    int acc = accumulate ? 1 : 0;
    Device device = LayerChecks.devices(op, x, w, dy, dx, dw, db);
    Checks.outputsApart(op, new String[] {"dx", "dw", "db"}, new Tensor[] {dx, dw, db}, new String[] {"x", "w", "dy"},
        new Tensor[] {x, w, dy});
    if (device.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_linear_backward(x.address(), w.address(), dy.address(), address(dx),
          dw.address(), address(db), dims[0], dims[1], dims[2], acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_linear_backward(x.address(), w.address(), dy.address(), address(dx),
          dw.address(), address(db), dims[0], dims[1], dims[2], acc, 0));
    }
  }

  /** Checks x [N,in], w [out,in] and the [N,out] tensor; returns {N, in, out}. */
  private static int[] check(String op, Tensor x, Tensor w, Tensor out, String outName) {
    required(op, "x", x);
    required(op, "w", w);
    required(op, outName, out);
    Checks.rank(op, "x", x, 2);
    Checks.rank(op, "w", w, 2);
    int n = x.dim(0), in = x.dim(1), outs = w.dim(0);
    if (w.dim(1) != in) {
      throw new IllegalArgumentException(op + ": w " + LayerChecks.shapeOf(w) + " does not take x " + LayerChecks.shapeOf(x));
    }
    if (in == 0 || outs == 0) throw new IllegalArgumentException(op + ": empty weight " + LayerChecks.shapeOf(w));
    Checks.shape(op, outName, out, n, outs);
    return new int[] {n, in, outs};
  }
}
