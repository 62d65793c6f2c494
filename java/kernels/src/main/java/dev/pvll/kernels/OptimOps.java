package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.address;
import static dev.pvll.kernels.LayerChecks.required;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;
import java.util.List;

/**
 * Optimiser steps and gradient norms over flat parameter buffers (any shape, views allowed;
 * parameter, gradient and state tensors of one step must have equal sizes, shapes may differ).
 * The formulas are PyTorch's {@code torch.optim} ones; steps update param and the state in
 * place and never modify grad.
 *
 * <p><b>Determinism.</b> The steps are elementwise: bit-identical from run to run and for any
 * thread count, and on CUDA (one fused kernel per step, with the CPU's float formulas, correctly
 * rounded square roots and divisions) equal to the CPU's to float rounding. Norms are sums of
 * squares in double over per-chunk partials combined in a fixed order: bit-identical for any
 * thread count on the CPU and from run to run on CUDA (no atomics).
 * {@link #clipGradNorm(float, Tensor...)} decides and scales on the device (the host waits only
 * to return the norm).
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op):
 * required tensors are not null; all are on one device; the sizes agree; a momentum buffer is
 * given when momentum is not 0; Adam's step is at least 1; the tensors a step or a clip writes
 * (param and its state; the gradients being scaled, and normOut) share no memory with one
 * another or with the tensors it reads. A closed tensor throws
 * {@link IllegalStateException}; a native failure {@link KernelException}. Hyper-parameters
 * (lr, betas, eps, weight decay) are not range-checked.
 */
public final class OptimOps {
  private OptimOps() {}

  /**
   * SGD with momentum and L2 weight decay (PyTorch, dampening 0, no Nesterov):
   * d = grad + weightDecay * param; buf = momentum * buf + d; param -= lr * buf.
   * A zero-initialised buffer gives PyTorch's first step.
   *
   * <p>As {@code torch.optim.SGD([param], lr, momentum, dampening=0, weight_decay,
   * nesterov=False).step()} with grad as {@code param.grad}.
   *
   * @param param the parameters, updated in place
   * @param grad their gradient, param's size
   * @param momentumBuf the momentum state, param's size, updated; or null when momentum is 0
   * @param lr learning rate
   * @param momentum momentum factor
   * @param weightDecay L2 penalty added to the gradient
   * @throws IllegalArgumentException when a tensor is null, the devices or sizes differ,
   *     momentum is not 0 without a buffer, or param, grad and momentumBuf overlap
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum,
      float weightDecay) {
    String op = "sgd_step";
    required(op, "param", param);
    required(op, "grad", grad);
    if (momentumBuf == null && momentum != 0f) {
      throw new IllegalArgumentException(op + ": momentum " + momentum + " needs a momentum buffer");
    }
    Device d = LayerChecks.devices(op, param, grad, momentumBuf);
    Checks.sameSize(op, param, grad);
    if (momentumBuf != null) Checks.sameSize(op, param, momentumBuf);
    Checks.outputsApart(op, new String[] {"param", "momentumBuf"}, new Tensor[] {param, momentumBuf},
        new String[] {"grad"}, new Tensor[] {grad});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_sgd_step(param.address(), grad.address(), address(momentumBuf),
          param.size(), lr, momentum, weightDecay));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_sgd_step(param.address(), grad.address(), address(momentumBuf),
          param.size(), lr, momentum, weightDecay, 0));
    }
  }

  /**
   * One Adam step (PyTorch torch.optim.Adam, amsgrad off; weight decay added to the gradient):
   * g = grad + weightDecay * param; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
   * param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
   *
   * <p>As {@code torch.optim.Adam([param], lr, (beta1, beta2), eps, weight_decay,
   * amsgrad=False).step()}.
   *
   * @param param the parameters, updated in place
   * @param grad their gradient, param's size
   * @param m first-moment state, param's size, updated (zeros before the first step)
   * @param v second-moment state, param's size, updated (zeros before the first step)
   * @param step the step number, counting from 1
   * @param lr learning rate
   * @param beta1 decay of the first moment
   * @param beta2 decay of the second moment
   * @param eps added to the denominator
   * @param weightDecay L2 penalty added to the gradient
   * @throws IllegalArgumentException when a tensor is null, the devices or sizes differ, param,
   *     grad, m and v overlap, or step &lt; 1
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1,
      float beta2, float eps, float weightDecay) {
    String op = "adam_step";
    required(op, "param", param);
    required(op, "grad", grad);
    required(op, "m", m);
    required(op, "v", v);
    Device d = LayerChecks.devices(op, param, grad, m, v);
    Checks.sameSize(op, param, grad);
    Checks.sameSize(op, param, m);
    Checks.sameSize(op, param, v);
    if (step < 1) throw new IllegalArgumentException(op + ": step counts from 1, got " + step);
    Checks.outputsApart(op, new String[] {"param", "m", "v"}, new Tensor[] {param, m, v}, new String[] {"grad"},
        new Tensor[] {grad});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_adam_step(param.address(), grad.address(), m.address(), v.address(),
          param.size(), step, lr, beta1, beta2, eps, weightDecay));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_adam_step(param.address(), grad.address(), m.address(), v.address(),
          param.size(), step, lr, beta1, beta2, eps, weightDecay, 0));
    }
  }

  /**
   * The global L2 norm of all values of grads (0 for none), as
   * {@code torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))} computed in
   * double. On CUDA this waits for the device.
   *
   * @param grads the gradients, on one device
   * @return the norm
   * @throws IllegalArgumentException when grads or one of them is null, or the devices differ
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static double gradNorm(Tensor... grads) {
    return Math.sqrt(sumSquares("grad_norm", grads));
  }

  /**
   * {@link #gradNorm(Tensor...)} over a list.
   *
   * @param grads the gradients, on one device
   * @return the norm
   * @throws IllegalArgumentException when a gradient is null or the devices differ
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static double gradNorm(List<Tensor> grads) {
    return gradNorm(grads.toArray(new Tensor[0]));
  }

  /**
   * PyTorch's {@code torch.nn.utils.clip_grad_norm_(grads, maxNorm)} (L2, no error on a
   * non-finite norm): with norm the global L2 norm of grads, scales every gradient by
   * maxNorm / (norm + 1e-6) when that is below 1. On CUDA this waits for the device.
   *
   * @param maxNorm the largest norm left unscaled
   * @param grads the gradients, on one device, scaled in place; no two share memory
   * @return the norm before clipping
   * @throws IllegalArgumentException when grads or one of them is null, the devices differ, or
   *     two gradients overlap
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static double clipGradNorm(float maxNorm, Tensor... grads) {
    String op = "clip_grad_norm";
    Device d = checkGrads(op, grads);
    gradsApart(op, grads, null);
    if (d != null && d.isCuda()) {
      long[] addresses = addresses(grads), sizes = sizes(grads);
      return Native.cudaDouble(op, d, out -> CudaLayerKernels.pvll_cuda_clip_grad_norm(addresses, sizes, grads.length,
          maxNorm, out, 0));
    }
    return clipOnCpu(op, maxNorm, grads);
  }

  /** The clip on the CPU, its arguments checked by the caller: the norm before clipping. */
  private static double clipOnCpu(String op, float maxNorm, Tensor[] grads) {
    if (grads.length == 0) return 0;
    long[] addresses = addresses(grads), sizes = sizes(grads);
    double norm = Math.sqrt(cpuSumSquares(op, addresses, sizes));
    double coef = maxNorm / (norm + 1e-6);
    if (coef < 1) Native.cpu(op, CpuLayerKernels.pvll_scale_buffers(addresses, sizes, grads.length, (float) coef));
    return norm;
  }

  /**
   * {@link #clipGradNorm(float, Tensor...)} without waiting for the result: the norm before
   * clipping goes, as a double, into the first 8 bytes of normOut (at least 2 floats, on the
   * gradients' device), and the factor is applied on the device. Capturable into a
   * {@link CudaGraph}. On the CPU it runs at once, as clipGradNorm.
   *
   * @param maxNorm the largest norm left unscaled
   * @param normOut receives the norm as a double in its first two floats (size at least 2)
   * @param grads the gradients, on normOut's device, scaled in place; no two share memory, nor
   *     one with normOut
   * @throws IllegalArgumentException when an argument is null, the devices differ, normOut
   *     holds fewer than 2 floats, or two gradients (or a gradient and normOut) overlap
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void clipGradNormAsync(float maxNorm, Tensor normOut, Tensor... grads) {
    String op = "clip_grad_norm_async";
    required(op, "normOut", normOut);
    Device d = checkGrads(op, grads);
    if (normOut.size() < 2) throw new IllegalArgumentException(op + ": normOut needs 2 floats (a double), got " + normOut.size());
    if (d != null && !d.equals(normOut.device())) {
      throw new IllegalArgumentException(op + ": normOut is on " + normOut.device() + ", the gradients on " + d);
    }
    gradsApart(op, grads, normOut);
    if (d != null && d.isCuda()) {
      long[] addresses = addresses(grads), sizes = sizes(grads);
      Native.cuda(op, CudaLayerKernels.pvll_cuda_clip_grad_norm(addresses, sizes, grads.length, maxNorm,
          normOut.address(), 0));
      return;
    }
    long bits = Double.doubleToRawLongBits(clipOnCpu(op, maxNorm, grads));
    try (Tensor head = normOut.view(0, 2)) {
      head.copyFrom(new float[] {Float.intBitsToFloat((int) bits), Float.intBitsToFloat((int) (bits >>> 32))});
    }
  }

  /**
   * {@link #clipGradNorm(float, Tensor...)} over a list.
   *
   * @param maxNorm the largest norm left unscaled
   * @param grads the gradients, on one device, scaled in place
   * @return the norm before clipping
   * @throws IllegalArgumentException when a gradient is null or the devices differ
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static double clipGradNorm(float maxNorm, List<Tensor> grads) {
    return clipGradNorm(maxNorm, grads.toArray(new Tensor[0]));
  }

  private static double sumSquares(String op, Tensor[] grads) {
    Device d = checkGrads(op, grads);
    if (d == null) return 0;
    long[] addresses = addresses(grads), sizes = sizes(grads);
    if (d.isCuda()) {
      return Native.cudaDouble(op, d, out -> CudaLayerKernels.pvll_cuda_sum_squares(addresses, sizes, grads.length,
          out, 0));
    }
    return cpuSumSquares(op, addresses, sizes);
  }

  /** The sum of squares of the CPU buffers at addresses (sizes floats each). */
  private static double cpuSumSquares(String op, long[] addresses, long[] sizes) {
    double[] out = new double[1];
    Native.cpu(op, CpuLayerKernels.pvll_sum_squares(addresses, sizes, addresses.length, out));
    return out[0];
  }

  /** The device of grads (all non-null, open, on one device), or null for none. */
  private static Device checkGrads(String op, Tensor[] grads) {
    if (grads == null) throw new IllegalArgumentException(op + ": grads is null");
    if (grads.length == 0) return null;
    for (int i = 0; i < grads.length; i++) required(op, "grads[" + i + "]", grads[i]);
    return LayerChecks.devices(op, grads);
  }

  /** The gradients a clip scales in place share no memory with each other, nor with normOut (may be null). */
  private static void gradsApart(String op, Tensor[] grads, Tensor normOut) {
    String[] names = new String[grads.length];
    for (int i = 0; i < names.length; i++) names[i] = "grads[" + i + "]";
    Checks.outputsApart(op, names, grads, new String[] {"normOut"}, new Tensor[] {normOut});
  }

  private static long[] addresses(Tensor[] grads) {
    long[] a = new long[grads.length];
    for (int i = 0; i < grads.length; i++) a[i] = grads[i].address();
    return a;
  }

  private static long[] sizes(Tensor[] grads) {
    long[] s = new long[grads.length];
    for (int i = 0; i < grads.length; i++) s[i] = grads[i].size();
    return s;
  }
}
