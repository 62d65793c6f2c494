package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.required;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;
import java.util.List;

/**
 * Channel concat and split of NCHW float32 tensors, per-sample drop-path, and addition.
 *
 * <p><b>Determinism.</b> Pure copies (concat, split without accumulate) are exact; the others
 * compute each element on its own. Bit-identical from run to run and for any thread count, and
 * across devices to float rounding.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op and
 * argument): no tensor (or list) is null or empty; all tensors are on one device; the shapes
 * stated per method; outputs share no memory with inputs or with each other, except the
 * in-place uses a method allows (an output that is exactly an input); keepProb in (0, 1]. A
 * closed tensor throws {@link IllegalStateException}; a native failure {@link KernelException}.
 * The mask's values are not checked. On CUDA the ops are enqueued on the ops' stream and return
 * at once.
 */
public final class TensorOps {
  private TensorOps() {}

  /**
   * y = the channel concat of xs (as {@code torch.cat(xs, 1)}). Every x is [N, C_i, H, W] with
   * the same N, H, W; y is [N, sum C_i, H, W] and shares no memory with the inputs.
   *
   * @param xs the inputs, at least one, each [N, C_i, H, W]
   * @param y output [N, sum C_i, H, W], overwritten
   * @throws IllegalArgumentException when a tensor is null, the devices differ, a shape does
   *     not match, or y overlaps an input
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void concatChannels(List<Tensor> xs, Tensor y) {
    String op = "concat_channels";
    long[] channels = checkBlocks(op, xs, y, "xs", "y");
    for (int i = 0; i < xs.size(); i++) Checks.apart(op, "y", y, "xs[" + i + "]", xs.get(i));
    long[] addresses = new long[xs.size()];
    for (int i = 0; i < addresses.length; i++) addresses[i] = xs.get(i).address();
    long hw = (long) y.dim(2) * y.dim(3);
    if (y.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_concat_channels(addresses, channels, addresses.length, y.address(), y.dim(0),
          hw));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_concat_channels(addresses, channels, addresses.length, y.address(),
          y.dim(0), hw, 0));
    }
  }

  /**
   * The inverse of {@link #concatChannels} and its gradient: dxs[i] (+)= the channels of dy
   * that came from input i ({@code torch.split(dy, [C_0, C_1, ...], 1)}).
   *
   * @param dy the concatenated tensor [N, sum C_i, H, W]
   * @param dxs the parts, at least one, each [N, C_i, H, W], apart from dy and from each other
   * @param accumulate add into the parts instead of overwriting them
   * @throws IllegalArgumentException when a tensor is null, the devices differ, a shape does
   *     not match, or a part overlaps dy or another part
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void splitChannels(Tensor dy, List<Tensor> dxs, boolean accumulate) {
    String op = "split_channels";
    long[] channels = checkBlocks(op, dxs, dy, "dxs", "dy");
    String[] names = new String[dxs.size()];
    for (int i = 0; i < names.length; i++) names[i] = "dxs[" + i + "]";
    Checks.outputsApart(op, names, dxs.toArray(new Tensor[0]), new String[] {"dy"}, new Tensor[] {dy});
    long[] addresses = new long[dxs.size()];
    for (int i = 0; i < addresses.length; i++) addresses[i] = dxs.get(i).address();
    long hw = (long) dy.dim(2) * dy.dim(3);
    int acc = accumulate ? 1 : 0;
    if (dy.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_split_channels(dy.address(), addresses, channels, addresses.length,
          dy.dim(0), hw, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_split_channels(dy.address(), addresses, channels, addresses.length,
          dy.dim(0), hw, acc, 0));
    }
  }

  /**
   * Drop-path forward: y[n] = x[n] * (mask[n] / keepProb) for each sample n (dimension 0), as
   * timm's {@code drop_path} with the mask given: {@code x / keepProb * mask} with mask broadcast over
   * each sample.
   *
   * @param x input [N, ...]
   * @param mask [N], 1 to keep a sample and 0 to drop it
   * @param y output like x; may be x, else apart from it (and always apart from mask)
   * @param keepProb probability of keeping a sample, in (0, 1]
   * @throws IllegalArgumentException when a tensor is null, the devices differ, a shape does
   *     not match, y overlaps x without being x or overlaps mask, or keepProb is outside (0, 1]
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void dropPathForward(Tensor x, Tensor mask, Tensor y, float keepProb) {
    String op = "drop_path_forward";
    checkDropPath(op, x, mask, y, keepProb, "x", "y");
    long perSample = x.size() / Math.max(1, x.dim(0));
    if (x.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_drop_path_forward(x.address(), mask.address(), y.address(), x.dim(0),
          perSample, keepProb));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_drop_path_forward(x.address(), mask.address(), y.address(), x.dim(0),
          perSample, keepProb, 0));
    }
  }

  /**
   * Drop-path backward: dx[n] (+)= dy[n] * (mask[n] / keepProb).
   *
   * @param dy gradient of the output [N, ...]
   * @param mask [N], the forward mask
   * @param dx gradient of the input, dy's shape; may be dy, else apart from it (and always
   *     apart from mask)
   * @param keepProb the forward keepProb, in (0, 1]
   * @param accumulate add into dx instead of overwriting it
   * @throws IllegalArgumentException when a tensor is null, the devices differ, a shape does
   *     not match, dx overlaps dy without being dy or overlaps mask, or keepProb is outside (0, 1]
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void dropPathBackward(Tensor dy, Tensor mask, Tensor dx, float keepProb, boolean accumulate) {
    String op = "drop_path_backward";
    checkDropPath(op, dy, mask, dx, keepProb, "dy", "dx");
    long perSample = dy.size() / Math.max(1, dy.dim(0));
    int acc = accumulate ? 1 : 0;
    if (dy.device().isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_drop_path_backward(dy.address(), mask.address(), dx.address(), dy.dim(0),
          perSample, keepProb, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_drop_path_backward(dy.address(), mask.address(), dx.address(),
          dy.dim(0), perSample, keepProb, acc, 0));
    }
  }

  /**
   * y = a + b elementwise over the flat values, as {@code torch.add(a, b, out=y)}; shapes may
   * differ when the element counts agree.
   *
   * @param a first operand
   * @param b second operand, a's element count
   * @param y output, a's element count; may be a or b, else apart from both
   * @throws IllegalArgumentException when a tensor is null, the devices differ, the sizes differ
   *     or y overlaps a or b without being it
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void add(Tensor a, Tensor b, Tensor y) {
    String op = "add";
    required(op, "a", a);
    required(op, "b", b);
    required(op, "y", y);
    Device d = LayerChecks.devices(op, a, b, y);
    Checks.sameSize(op, a, b);
    Checks.sameSize(op, a, y);
    Checks.apartOrSame(op, "y", y, "a", a);
    Checks.apartOrSame(op, "y", y, "b", b);
    if (d.isCpu()) Native.cpu(op, CpuLayerKernels.pvll_add(a.address(), b.address(), y.address(), a.size()));
    else Native.cuda(op, CudaLayerKernels.pvll_cuda_add(a.address(), b.address(), y.address(), a.size(), 0));
  }

  /** Checks the parts of a channel concat against the whole; returns their channel counts. */
  private static long[] checkBlocks(String op, List<Tensor> parts, Tensor whole, String partsName, String wholeName) {
    if (parts == null || parts.isEmpty()) throw new IllegalArgumentException(op + ": " + partsName + " is null or empty");
    required(op, wholeName, whole);
    Tensor[] all = new Tensor[parts.size() + 1];
    for (int i = 0; i < parts.size(); i++) all[i] = required(op, partsName + "[" + i + "]", parts.get(i));
    all[parts.size()] = whole;
    LayerChecks.devices(op, all);
    int[] s = LayerChecks.nchw(op, wholeName, whole);
    long[] channels = new long[parts.size()];
    long total = 0;
    for (int i = 0; i < channels.length; i++) {
      Tensor t = parts.get(i);
      String name = partsName + "[" + i + "]";
      int[] p = LayerChecks.nchw(op, name, t);
      if (p[0] != s[0] || p[2] != s[2] || p[3] != s[3]) {
        throw new IllegalArgumentException(op + ": " + name + " " + LayerChecks.shapeOf(t) + " does not match "
            + wholeName + " " + LayerChecks.shapeOf(whole) + " in N, H or W");
      }
      channels[i] = p[1];
      total += p[1];
    }
    if (total != s[1]) {
      throw new IllegalArgumentException(op + ": the " + partsName + " have " + total + " channels in all, "
          + wholeName + " " + LayerChecks.shapeOf(whole) + " has " + s[1]);
    }
    return channels;
  }

  private static void checkDropPath(String op, Tensor src, Tensor mask, Tensor dst, float keepProb, String srcName,
      String dstName) {
    required(op, srcName, src);
    required(op, "mask", mask);
    required(op, dstName, dst);
    LayerChecks.devices(op, src, mask, dst);
    Checks.sameShape(op, src, dst);
    Checks.shape(op, "mask", mask, src.dim(0));
    Checks.apartOrSame(op, dstName, dst, srcName, src);
    Checks.apart(op, dstName, dst, "mask", mask);
    if (!(keepProb > 0f && keepProb <= 1f)) {
      throw new IllegalArgumentException(op + ": keepProb must be in (0, 1], got " + keepProb);
    }
  }
}
