package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuConvKernels;
import dev.pvll.kernels.bind.CudaConvKernels;
import java.util.Arrays;

/**
 * Convolutions on NCHW float32 tensors: general conv2d (groups = 1), depthwise (groups =
 * channels, "same" padding) and pointwise 1x1, each with its forward pass and both backward
 * passes.
 *
 * <table class="striped">
 * <caption>Shapes and PyTorch equivalents ({@code F} = {@code torch.nn.functional})</caption>
 * <thead><tr><th>op</th><th>x / dx</th><th>weight / dw</th><th>y / dy</th><th>PyTorch</th></tr></thead>
 * <tbody>
 * <tr><td>conv2d</td><td>{@code [n, cin, h, w]}</td><td>{@code [cout, cin, kh, kw]}</td>
 *     <td>{@code [n, cout, oh, ow]}</td><td>{@code F.conv2d(x, w, bias, stride, padding, dilation)}</td></tr>
 * <tr><td>depthwise</td><td>{@code [n, c, h, w]}</td><td>{@code [c, 1, k, k]}</td>
 *     <td>{@code [n, c, ceil(h/stride), ceil(w/stride)]}</td>
 *     <td>{@code F.conv2d(x, w, None, stride, dilation*(k-1)//2, dilation, groups=c)}</td></tr>
 * <tr><td>pointwise</td><td>{@code [n, cin, h, w]}</td><td>{@code [cout, cin, 1, 1]}</td>
 *     <td>{@code [n, cout, h, w]}</td><td>{@code F.conv2d(x, w)}</td></tr>
 * </tbody>
 * </table>
 *
 * <p>For conv2d {@code oh = outputSize(h, kh, stride, padding, dilation)} (and likewise
 * {@code ow}). The backward passes compute what autograd gives for that forward:
 * {@code torch.nn.grad.conv2d_input(x.shape, w, dy, stride, padding, dilation, groups)} for
 * dx, {@code torch.nn.grad.conv2d_weight(x, w.shape, dy, stride, padding, dilation, groups)}
 * for dw (summed over the batch) and {@code dy.sum((0, 2, 3))} for dbias. With
 * {@code accumulate} false a gradient is overwritten, with true the result is added into it
 * (for tensors used more than once); forward passes always overwrite y. Outputs must not
 * overlap inputs (checked: IllegalArgumentException naming both).
 *
 * <p><b>Determinism.</b> On the CPU results are bit-identical from run to run and for any
 * {@link CpuInfo#setThreads thread count}. On CUDA (kernels/conv_*.cu, implicit GEMMs in FP32
 * FMA, no TF32, no cuDNN) the same call runs on the ops' stream and returns at once; input
 * gradients gather and weight gradients sum per-block partials in a fixed order, with no
 * atomics, so results are bit-identical from run to run and within float rounding of the
 * CPU's.
 *
 * <p><b>Checks before the native call</b>, each failing with {@link IllegalArgumentException}
 * naming the op and argument unless stated: no tensor is null; all tensors are on one device;
 * every tensor is open ({@link IllegalStateException} otherwise) and of rank 4; input and
 * weight have no zero dimension; the weight's input channels equal the input's; conv2d stride
 * &ge; 1, padding &ge; 0, dilation &ge; 1, and the dilated kernel fits the padded input
 * ({@code oh, ow >= 1}); depthwise stride 1 or 2, dilation 1 to 8, odd k &le; 15 and weight
 * exactly {@code [c, 1, k, k]}; pointwise weight {@code [cout, cin, 1, 1]}; every other tensor
 * has exactly the shape above; bias and dbias are {@code [cout]}. A native failure (out of
 * memory, a CUDA error, no CUDA in this build) throws {@link KernelException}.
 */
public final class ConvOps {
  private ConvOps() {}

  /**
   * Output size along one axis: {@code (in + 2*padding - dilation*(kernel-1) - 1) / stride + 1},
   * or 0 when the dilated kernel does not fit in the padded input (PyTorch's floor rule,
   * {@code ceil_mode=False}). Checks nothing.
   *
   * @param in input size
   * @param kernel kernel size
   * @param stride stride, at least 1
   * @param padding zero padding on each side
   * @param dilation dilation, at least 1
   * @return the output size, 0 when none fits
   */
  public static int outputSize(int in, int kernel, int stride, int padding, int dilation) {
    long span = (long) in + 2L * padding - (long) dilation * (kernel - 1) - 1;
    return span < 0 ? 0 : (int) (span / stride + 1);
  }

  // ------------------------------------------------------------------ conv2d

  /**
   * y = conv2d(x, w) + bias, as {@code F.conv2d(x, w, bias, stride, padding, dilation)}
   * (groups = 1, any kernel size, zero padding). Overwrites y.
   *
   * @param x input {@code [n, cin, h, w]}
   * @param w weight {@code [cout, cin, kh, kw]}
   * @param bias {@code [cout]}, or null for none
   * @param y output {@code [n, cout, oh, ow]}, not overlapping x, w or bias
   * @param stride stride along both axes, at least 1
   * @param padding zero padding on each side, at least 0
   * @param dilation dilation along both axes, at least 1
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y, int stride, int padding, int dilation) {
    String op = "conv2d_forward";
    Conv c = Conv.of(op, x, w, stride, padding, dilation, y);
    checkBias(op, bias, c.cout, x);
    Checks.shape(op, "y", y, c.n, c.cout, c.oh, c.ow);
    Checks.apart(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "w", w);
    Checks.apart(op, "y", y, "bias", bias);
    long b = bias == null ? 0 : bias.address();
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_conv2d_forward(x.address(), w.address(), b, y.address(), c.n, c.cin, c.h,
          c.w, c.cout, c.kh, c.kw, stride, padding, dilation));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_conv2d_forward(x.address(), w.address(), b, y.address(), c.n, c.cin,
          c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, 0));
    }
  }

  /**
   * {@link #conv2dForward} into a new tensor (which joins the open {@link Scope}, if any; it is
   * closed again when the op fails).
   *
   * @param x input {@code [n, cin, h, w]}
   * @param w weight {@code [cout, cin, kh, kw]}
   * @param bias {@code [cout]}, or null for none
   * @param stride stride, at least 1
   * @param padding zero padding, at least 0
   * @param dilation dilation, at least 1
   * @return y {@code [n, cout, oh, ow]} on x's device
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the allocation or the native call fails
   */
  public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int dilation) {
    Conv c = Conv.of("conv2d_forward", x, w, stride, padding, dilation);
    Tensor y = Tensor.empty(x.device(), c.n, c.cout, c.oh, c.ow);
    try {
      conv2dForward(x, w, bias, y, stride, padding, dilation);
    } catch (RuntimeException e) {
      y.close();
      throw e;
    }
    return y;
  }

  /**
   * dx (+)= the gradient of {@link #conv2dForward} with respect to its input,
   * {@code torch.nn.grad.conv2d_input(dx.shape, w, dy, stride, padding, dilation)}. Input
   * pixels that no window reaches get a zero gradient.
   *
   * @param dy gradient of the output {@code [n, cout, oh, ow]}
   * @param w the forward weight {@code [cout, cin, kh, kw]}
   * @param dx gradient of the input {@code [n, cin, h, w]}; its shape gives h and w
   * @param stride the forward stride, at least 1
   * @param padding the forward padding, at least 0
   * @param dilation the forward dilation, at least 1
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void conv2dBackwardInput(Tensor dy, Tensor w, Tensor dx, int stride, int padding, int dilation,
      boolean accumulate) {
    String op = "conv2d_backward_input";
    Conv c = Conv.of(op, dx, w, stride, padding, dilation, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.oh, c.ow);
    Checks.apart(op, "dx", dx, "dy", dy);
    Checks.apart(op, "dx", dx, "w", w);
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_conv2d_backward_input(dy.address(), w.address(), dx.address(), c.n, c.cin,
          c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_conv2d_backward_input(dy.address(), w.address(), dx.address(), c.n,
          c.cin, c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, acc, 0));
    }
  }

  /**
   * dw (+)= the gradient of {@link #conv2dForward} with respect to its weight, summed over the
   * batch ({@code torch.nn.grad.conv2d_weight(x, dw.shape, dy, stride, padding, dilation)}),
   * and dbias (+)= {@code dy.sum((0, 2, 3))}.
   *
   * @param x the forward input {@code [n, cin, h, w]}
   * @param dy gradient of the output {@code [n, cout, oh, ow]}
   * @param dw gradient of the weight {@code [cout, cin, kh, kw]}; its shape gives the kernel size
   * @param dbias gradient of the bias {@code [cout]}, or null when not wanted
   * @param stride the forward stride, at least 1
   * @param padding the forward padding, at least 0
   * @param dilation the forward dilation, at least 1
   * @param accumulate add into dw and dbias instead of overwriting them
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor dbias, int stride, int padding,
      int dilation, boolean accumulate) {
    String op = "conv2d_backward_weight";
    Conv c = Conv.of(op, x, dw, stride, padding, dilation, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.oh, c.ow);
    checkBias(op, dbias, c.cout, x);
    Checks.outputsApart(op, new String[] {"dw", "dbias"}, new Tensor[] {dw, dbias}, new String[] {"x", "dy"}, new Tensor[] {x, dy});
    long db = dbias == null ? 0 : dbias.address();
    int acc = accumulate ? 1 : 0;
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_conv2d_backward_weight(x.address(), dy.address(), dw.address(), db, c.n,
          c.cin, c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_conv2d_backward_weight(x.address(), dy.address(), dw.address(), db,
          c.n, c.cin, c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, acc, 0));
    }
  }

  // ------------------------------------------------------------------ depthwise

  /**
   * y = the depthwise convolution of x with w, no bias, "same" padding
   * {@code dilation*(k-1)/2}: {@code F.conv2d(x, w, None, stride, dilation*(k-1)//2, dilation,
   * groups=c)}. Overwrites y.
   *
   * @param x input {@code [n, c, h, w]}
   * @param w weight {@code [c, 1, k, k]}, k odd and at most 15 (the search space uses 3 and 5)
   * @param y output {@code [n, c, ceil(h/stride), ceil(w/stride)]}, not overlapping x or w
   * @param stride 1 or 2
   * @param dilation 1 to 8
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void depthwiseForward(Tensor x, Tensor w, Tensor y, int stride, int dilation) {
    String op = "depthwise_forward";
    Depthwise d = Depthwise.of(op, x, w, stride, dilation, y);
    Checks.shape(op, "y", y, d.n, d.c, d.oh, d.ow);
    Checks.apart(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "w", w);
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_depthwise_forward(x.address(), w.address(), y.address(), d.n, d.c, d.h, d.w,
          d.k, stride, dilation));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_depthwise_forward(x.address(), w.address(), y.address(), d.n, d.c,
          d.h, d.w, d.k, stride, dilation, 0));
    }
  }

  /**
   * {@link #depthwiseForward} into a new tensor (which joins the open {@link Scope}, if any).
   *
   * @param x input {@code [n, c, h, w]}
   * @param w weight {@code [c, 1, k, k]}, k odd and at most 15
   * @param stride 1 or 2
   * @param dilation 1 to 8
   * @return y {@code [n, c, ceil(h/stride), ceil(w/stride)]} on x's device
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the allocation or the native call fails
   */
  public static Tensor depthwise(Tensor x, Tensor w, int stride, int dilation) {
    Depthwise d = Depthwise.of("depthwise_forward", x, w, stride, dilation);
    Tensor y = Tensor.empty(x.device(), d.n, d.c, d.oh, d.ow);
    try {
      depthwiseForward(x, w, y, stride, dilation);
    } catch (RuntimeException e) {
      y.close();
      throw e;
    }
    return y;
  }

  /**
   * dx (+)= the gradient of {@link #depthwiseForward} with respect to its input
   * ({@code torch.nn.grad.conv2d_input(dx.shape, w, dy, stride, dilation*(k-1)//2, dilation,
   * groups=c)}).
   *
   * @param dy gradient of the output {@code [n, c, ceil(h/stride), ceil(w/stride)]}
   * @param w the forward weight {@code [c, 1, k, k]}
   * @param dx gradient of the input {@code [n, c, h, w]}; its shape gives h and w
   * @param stride 1 or 2
   * @param dilation 1 to 8
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void depthwiseBackwardInput(Tensor dy, Tensor w, Tensor dx, int stride, int dilation,
      boolean accumulate) {
    String op = "depthwise_backward_input";
    Depthwise d = Depthwise.of(op, dx, w, stride, dilation, dy);
    Checks.shape(op, "dy", dy, d.n, d.c, d.oh, d.ow);
    Checks.apart(op, "dx", dx, "dy", dy);
    Checks.apart(op, "dx", dx, "w", w);
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_depthwise_backward_input(dy.address(), w.address(), dx.address(), d.n, d.c,
          d.h, d.w, d.k, stride, dilation, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_depthwise_backward_input(dy.address(), w.address(), dx.address(), d.n,
          d.c, d.h, d.w, d.k, stride, dilation, acc, 0));
    }
  }

  /**
   * dw (+)= the gradient of {@link #depthwiseForward} with respect to its weight, summed over
   * the batch and the positions ({@code torch.nn.grad.conv2d_weight(x, dw.shape, dy, stride,
   * dilation*(k-1)//2, dilation, groups=c)}).
   *
   * @param x the forward input {@code [n, c, h, w]}
   * @param dy gradient of the output {@code [n, c, ceil(h/stride), ceil(w/stride)]}
   * @param dw gradient of the weight {@code [c, 1, k, k]}
   * @param stride 1 or 2
   * @param dilation 1 to 8
   * @param accumulate add into dw instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void depthwiseBackwardWeight(Tensor x, Tensor dy, Tensor dw, int stride, int dilation,
      boolean accumulate) {
    String op = "depthwise_backward_weight";
    Depthwise d = Depthwise.of(op, x, dw, stride, dilation, dy);
    Checks.shape(op, "dy", dy, d.n, d.c, d.oh, d.ow);
    Checks.apart(op, "dw", dw, "x", x);
    Checks.apart(op, "dw", dw, "dy", dy);
    int acc = accumulate ? 1 : 0;
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_depthwise_backward_weight(x.address(), dy.address(), dw.address(), d.n, d.c,
          d.h, d.w, d.k, stride, dilation, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_depthwise_backward_weight(x.address(), dy.address(), dw.address(), d.n,
          d.c, d.h, d.w, d.k, stride, dilation, acc, 0));
    }
  }

  // ------------------------------------------------------------------ pointwise

  /**
   * y = the 1x1 convolution of x with w, stride 1, no padding, no bias: {@code F.conv2d(x, w)};
   * per image {@code y = W[cout x cin] * x[cin x h*w]}. Overwrites y.
   *
   * @param x input {@code [n, cin, h, w]}
   * @param w weight {@code [cout, cin, 1, 1]}
   * @param y output {@code [n, cout, h, w]}, not overlapping x or w
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void pointwiseForward(Tensor x, Tensor w, Tensor y) {
    String op = "pointwise_forward";
    Conv c = Conv.pointwise(op, x, w, y);
    Checks.shape(op, "y", y, c.n, c.cout, c.h, c.w);
    Checks.apart(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "w", w);
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_pointwise_forward(x.address(), w.address(), y.address(), c.n, c.cin, c.h,
          c.w, c.cout));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_pointwise_forward(x.address(), w.address(), y.address(), c.n, c.cin,
          c.h, c.w, c.cout, 0));
    }
  }

  /**
   * {@link #pointwiseForward} into a new tensor (which joins the open {@link Scope}, if any).
   *
   * @param x input {@code [n, cin, h, w]}
   * @param w weight {@code [cout, cin, 1, 1]}
   * @return y {@code [n, cout, h, w]} on x's device
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the allocation or the native call fails
   */
  public static Tensor pointwise(Tensor x, Tensor w) {
    Conv c = Conv.pointwise("pointwise_forward", x, w);
    Tensor y = Tensor.empty(x.device(), c.n, c.cout, c.h, c.w);
    try {
      pointwiseForward(x, w, y);
    } catch (RuntimeException e) {
      y.close();
      throw e;
    }
    return y;
  }

  /**
   * dx (+)= the gradient of {@link #pointwiseForward} with respect to its input: per image
   * {@code dx = W^T * dy}.
   *
   * @param dy gradient of the output {@code [n, cout, h, w]}
   * @param w the forward weight {@code [cout, cin, 1, 1]}
   * @param dx gradient of the input {@code [n, cin, h, w]}
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void pointwiseBackwardInput(Tensor dy, Tensor w, Tensor dx, boolean accumulate) {
    String op = "pointwise_backward_input";
    Conv c = Conv.pointwise(op, dx, w, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.h, c.w);
    Checks.apart(op, "dx", dx, "dy", dy);
    Checks.apart(op, "dx", dx, "w", w);
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_pointwise_backward_input(dy.address(), w.address(), dx.address(), c.n, c.cin,
          c.h, c.w, c.cout, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_pointwise_backward_input(dy.address(), w.address(), dx.address(), c.n,
          c.cin, c.h, c.w, c.cout, acc, 0));
    }
  }

  /**
   * dw (+)= the gradient of {@link #pointwiseForward} with respect to its weight, summed over
   * the batch: {@code dw = sum over images of dy * x^T}.
   *
   * @param x the forward input {@code [n, cin, h, w]}
   * @param dy gradient of the output {@code [n, cout, h, w]}
   * @param dw gradient of the weight {@code [cout, cin, 1, 1]}
   * @param accumulate add into dw instead of overwriting it
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void pointwiseBackwardWeight(Tensor x, Tensor dy, Tensor dw, boolean accumulate) {
    String op = "pointwise_backward_weight";
    Conv c = Conv.pointwise(op, x, dw, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.h, c.w);
    Checks.apart(op, "dw", dw, "x", x);
    Checks.apart(op, "dw", dw, "dy", dy);
    int acc = accumulate ? 1 : 0;
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_pointwise_backward_weight(x.address(), dy.address(), dw.address(), c.n, c.cin,
          c.h, c.w, c.cout, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_pointwise_backward_weight(x.address(), dy.address(), dw.address(), c.n,
          c.cin, c.h, c.w, c.cout, acc, 0));
    }
  }

  // ------------------------------------------------------------------ checks

  private static void checkBias(String op, Tensor bias, int cout, Tensor like) {
    if (bias == null) return;
    Checks.sameDevice(op, like, bias);
    Checks.shape(op, "bias", bias, cout);
  }

  private static void positive(String op, String name, int value, int min) {
    if (value < min) throw new IllegalArgumentException(op + ": " + name + " must be >= " + min + ", got " + value);
  }

  /** All tensors (the sized input and weight among them) open, on one device and of rank 4. */
  private static void common(String op, Tensor input, Tensor weight, Tensor... tensors) {
    Tensor[] all = new Tensor[tensors.length + 2];
    all[0] = input;
    all[1] = weight;
    System.arraycopy(tensors, 0, all, 2, tensors.length);
    Checks.sameDevice(op, all);
    for (Tensor t : all) Checks.rank(op, "every tensor", t, 4);
    for (int d : input.shape()) {
      if (d < 1) throw new IllegalArgumentException(op + ": empty tensor " + input);
    }
    for (int d : weight.shape()) {
      if (d < 1) throw new IllegalArgumentException(op + ": empty weight " + weight);
    }
  }

  /** The sizes of one conv2d or pointwise call, from the input (or dx) and weight shapes. */
  private record Conv(int n, int cin, int h, int w, int cout, int kh, int kw, int oh, int ow) {
    static Conv of(String op, Tensor input, Tensor weight, int stride, int padding, int dilation, Tensor... others) {
      common(op, input, weight, others);
      positive(op, "stride", stride, 1);
      positive(op, "padding", padding, 0);
      positive(op, "dilation", dilation, 1);
      int[] in = input.shape(), ws = weight.shape();
      if (ws[1] != in[1]) {
        throw new IllegalArgumentException(op + ": weight " + Arrays.toString(ws) + " expects " + ws[1]
            + " input channels, input " + Arrays.toString(in) + " has " + in[1]);
      }
      int oh = outputSize(in[2], ws[2], stride, padding, dilation);
      int ow = outputSize(in[3], ws[3], stride, padding, dilation);
      if (oh < 1 || ow < 1) {
        throw new IllegalArgumentException(op + ": kernel " + ws[2] + "x" + ws[3] + " (dilation " + dilation
            + ") does not fit the input " + in[2] + "x" + in[3] + " with padding " + padding);
      }
      return new Conv(in[0], in[1], in[2], in[3], ws[0], ws[2], ws[3], oh, ow);
    }

    static Conv pointwise(String op, Tensor input, Tensor weight, Tensor... others) {
      common(op, input, weight, others);
      int[] ws = weight.shape();
      if (ws[2] != 1 || ws[3] != 1) {
        throw new IllegalArgumentException(op + ": weight must be [cout, cin, 1, 1], got " + Arrays.toString(ws));
      }
      return of(op, input, weight, 1, 0, 1, others);
    }
  }

  /** The sizes of one depthwise call, from the input (or dx) and weight shapes. */
  private record Depthwise(int n, int c, int h, int w, int k, int oh, int ow) {
    static Depthwise of(String op, Tensor input, Tensor weight, int stride, int dilation, Tensor... others) {
      common(op, input, weight, others);
      if (stride != 1 && stride != 2) throw new IllegalArgumentException(op + ": stride must be 1 or 2, got " + stride);
      if (dilation < 1 || dilation > 8) {
        throw new IllegalArgumentException(op + ": dilation must be 1 to 8, got " + dilation);
      }
      int[] in = input.shape();
      int k = weight.dim(2);
      if (k % 2 != 1 || k > 15) throw new IllegalArgumentException(op + ": kernel size must be odd and <= 15, got " + k);
      Checks.shape(op, "weight", weight, in[1], 1, k, k);
      return new Depthwise(in[0], in[1], in[2], in[3], k, (in[2] - 1) / stride + 1, (in[3] - 1) / stride + 1);
    }
  }
}
