package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuConvKernels;
import dev.pvll.kernels.bind.CudaConvKernels;
import java.util.Arrays;

/**
 * Convolutions on NCHW float32 tensors: general conv2d (groups = 1), depthwise (groups =
 * channels, "same" padding) and pointwise 1x1, each with its forward pass and both backward
 * passes. {@code accumulate} adds the result into the output instead of overwriting it (for
 * gradients of tensors used more than once). Outputs must not overlap inputs. Results are
 * bit-identical for any {@link CpuInfo#setThreads thread count}. On CUDA tensors the same call runs the
 * CUDA kernels (kernels/conv_*.cu) on the default stream: same semantics, float results within
 * rounding of the CPU ones, deterministic from run to run.
 *
 * <p>Shapes: x {@code [n, cin, h, w]}; conv2d weight {@code [cout, cin, kh, kw]}; depthwise
 * weight {@code [c, 1, k, k]}; pointwise weight {@code [cout, cin, 1, 1]}; output
 * {@code [n, cout, oh, ow]} with {@code oh = outputSize(h, kh, stride, padding, dilation)}.
 * Every method checks its arguments (open tensors, one device, shapes) before any native call
 * and throws {@link IllegalArgumentException} naming the op and the argument.
 */
public final class ConvOps {
  private ConvOps() {}

  /**
   * Output size along one axis: {@code (in + 2*padding - dilation*(kernel-1) - 1) / stride + 1},
   * or 0 when the dilated kernel does not fit in the padded input.
   */
  public static int outputSize(int in, int kernel, int stride, int padding, int dilation) {
    long span = (long) in + 2L * padding - (long) dilation * (kernel - 1) - 1;
    return span < 0 ? 0 : (int) (span / stride + 1);
  }

  // ------------------------------------------------------------------ conv2d

  /**
   * y = conv2d(x, w) + bias. w {@code [cout, cin, kh, kw]} (any kernel size, groups = 1); bias
   * {@code [cout]} or null; y {@code [n, cout, oh, ow]}.
   */
  public static void conv2dForward(Tensor x, Tensor w, Tensor bias, Tensor y, int stride, int padding, int dilation) {
    String op = "conv2d_forward";
    Conv c = Conv.of(op, x, w, stride, padding, dilation, y);
    checkBias(op, bias, c.cout, x);
    Checks.shape(op, "y", y, c.n, c.cout, c.oh, c.ow);
    long b = bias == null ? 0 : bias.address();
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_conv2d_forward(x.address(), w.address(), b, y.address(), c.n, c.cin, c.h,
          c.w, c.cout, c.kh, c.kw, stride, padding, dilation));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_conv2d_forward(x.address(), w.address(), b, y.address(), c.n, c.cin,
          c.h, c.w, c.cout, c.kh, c.kw, stride, padding, dilation, 0));
    }
  }

  /** A new tensor conv2d(x, w) + bias (bias may be null). */
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

  /** dx (+)= gradient of conv2d with respect to its input; dx has the input's shape. */
  public static void conv2dBackwardInput(Tensor dy, Tensor w, Tensor dx, int stride, int padding, int dilation,
      boolean accumulate) {
    String op = "conv2d_backward_input";
    Conv c = Conv.of(op, dx, w, stride, padding, dilation, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.oh, c.ow);
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
   * dw (+)= gradient of conv2d with respect to its weight, summed over the batch; dbias (may be
   * null) (+)= the sums of dy per output channel.
   */
  public static void conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor dbias, int stride, int padding,
      int dilation, boolean accumulate) {
    String op = "conv2d_backward_weight";
    Conv c = Conv.of(op, x, dw, stride, padding, dilation, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.oh, c.ow);
    checkBias(op, dbias, c.cout, x);
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
   * y = depthwise conv of x with w {@code [c, 1, k, k]}: odd k up to 15 (the search space uses
   * 3 and 5), stride 1 or 2, dilation 1 to 8, padding {@code dilation*(k-1)/2}, so y is
   * {@code [n, c, ceil(h/stride), ceil(w/stride)]}.
   */
  public static void depthwiseForward(Tensor x, Tensor w, Tensor y, int stride, int dilation) {
    String op = "depthwise_forward";
    Depthwise d = Depthwise.of(op, x, w, stride, dilation, y);
    Checks.shape(op, "y", y, d.n, d.c, d.oh, d.ow);
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_depthwise_forward(x.address(), w.address(), y.address(), d.n, d.c, d.h, d.w,
          d.k, stride, dilation));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_depthwise_forward(x.address(), w.address(), y.address(), d.n, d.c,
          d.h, d.w, d.k, stride, dilation, 0));
    }
  }

  /** A new tensor: the depthwise conv of x with w. */
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

  /** dx (+)= gradient of the depthwise conv with respect to its input. */
  public static void depthwiseBackwardInput(Tensor dy, Tensor w, Tensor dx, int stride, int dilation,
      boolean accumulate) {
    String op = "depthwise_backward_input";
    Depthwise d = Depthwise.of(op, dx, w, stride, dilation, dy);
    Checks.shape(op, "dy", dy, d.n, d.c, d.oh, d.ow);
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_depthwise_backward_input(dy.address(), w.address(), dx.address(), d.n, d.c,
          d.h, d.w, d.k, stride, dilation, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_depthwise_backward_input(dy.address(), w.address(), dx.address(), d.n,
          d.c, d.h, d.w, d.k, stride, dilation, acc, 0));
    }
  }

  /** dw (+)= gradient of the depthwise conv with respect to its weight, summed over the batch. */
  public static void depthwiseBackwardWeight(Tensor x, Tensor dy, Tensor dw, int stride, int dilation,
      boolean accumulate) {
    String op = "depthwise_backward_weight";
    Depthwise d = Depthwise.of(op, x, dw, stride, dilation, dy);
    Checks.shape(op, "dy", dy, d.n, d.c, d.oh, d.ow);
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

  /** y = 1x1 conv of x with w {@code [cout, cin, 1, 1]}: stride 1, no padding, no bias. */
  public static void pointwiseForward(Tensor x, Tensor w, Tensor y) {
    String op = "pointwise_forward";
    Conv c = Conv.pointwise(op, x, w, y);
    Checks.shape(op, "y", y, c.n, c.cout, c.h, c.w);
    if (x.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_pointwise_forward(x.address(), w.address(), y.address(), c.n, c.cin, c.h,
          c.w, c.cout));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_pointwise_forward(x.address(), w.address(), y.address(), c.n, c.cin,
          c.h, c.w, c.cout, 0));
    }
  }

  /** A new tensor: the 1x1 conv of x with w. */
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

  /** dx (+)= gradient of the 1x1 conv with respect to its input. */
  public static void pointwiseBackwardInput(Tensor dy, Tensor w, Tensor dx, boolean accumulate) {
    String op = "pointwise_backward_input";
    Conv c = Conv.pointwise(op, dx, w, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.h, c.w);
    int acc = accumulate ? 1 : 0;
    if (dx.device().isCpu()) {
      Native.cpu(op, CpuConvKernels.pvll_pointwise_backward_input(dy.address(), w.address(), dx.address(), c.n, c.cin,
          c.h, c.w, c.cout, acc));
    } else {
      Native.cuda(op, CudaConvKernels.pvll_cuda_pointwise_backward_input(dy.address(), w.address(), dx.address(), c.n,
          c.cin, c.h, c.w, c.cout, acc, 0));
    }
  }

  /** dw (+)= gradient of the 1x1 conv with respect to its weight, summed over the batch. */
  public static void pointwiseBackwardWeight(Tensor x, Tensor dy, Tensor dw, boolean accumulate) {
    String op = "pointwise_backward_weight";
    Conv c = Conv.pointwise(op, x, dw, dy);
    Checks.shape(op, "dy", dy, c.n, c.cout, c.h, c.w);
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
