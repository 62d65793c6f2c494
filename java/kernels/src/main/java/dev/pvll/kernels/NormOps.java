package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.address;
import static dev.pvll.kernels.LayerChecks.required;
import static dev.pvll.kernels.LayerChecks.shapeOrNull;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Batch normalisation over NCHW float32 tensors, per channel over N*H*W values, as
 * {@code torch.nn.functional.batch_norm(x, runningMean, runningVar, gamma, beta, training,
 * momentum, eps)}, and the pieces of its synchronised form ({@link SyncBatchNorm}).
 * {@code gamma}/{@code beta} may be null (affine = false: scale 1, shift 0). Shapes: x, y, dy,
 * dx {@code [N, C, H, W]}; every per-channel tensor {@code [C]}; the double buffers of the
 * synchronised form hold 2C + 1 values ({@link NativeDoubles}).
 *
 * <p><b>Determinism.</b> On the CPU each channel is reduced by one thread in a fixed order:
 * bit-identical from run to run and for any thread count. On CUDA each channel's per-block
 * partials are summed in slice order (no atomics): bit-identical from run to run, agreeing with
 * the CPU's to rounding. Forward sums are taken around the channel's first value, so the
 * one-pass variance stays accurate.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException} naming the op and
 * argument): required tensors and buffers are not null; all tensors and buffers are on one
 * device; x has rank 4; every other tensor has exactly the shape its parameter states;
 * runningMean and runningVar are both given or both null; a double buffer holds exactly 2C + 1
 * values; the training forward has more than one value per channel. A closed tensor or buffer
 * throws {@link IllegalStateException}; a native failure {@link KernelException}. Outputs that
 * a parameter does not say may alias an input must not overlap one (checked:
 * IllegalArgumentException naming both). On CUDA every op is enqueued on the ops' stream and
 * returns at once.
 */
public final class NormOps {
  private NormOps() {}

  /**
   * Training-mode forward with batch statistics: y = (x - mean) / sqrt(var + eps) * gamma + beta,
   * as {@code F.batch_norm(x, runningMean, runningVar, gamma, beta, training=True, momentum,
   * eps)}, the variance biased.
   *
   * @param x input [N, C, H, W]
   * @param gamma scale [C] or null
   * @param beta shift [C] or null
   * @param y output [N, C, H, W]; may be x
   * @param saveMean batch mean [C], written for the backward pass
   * @param saveInvStd 1 / sqrt(biased batch variance + eps) [C], written for the backward pass
   * @param runningMean [C] or null; updated PyTorch-style: (1 - momentum) * old + momentum * batch
   * @param runningVar [C] or null (with runningMean); updated the same way with the unbiased variance
   * @param momentum weight of the batch statistics in the running averages (PyTorch's 0.1)
   * @param eps added to the variance
   * @throws IllegalArgumentException on wrong shapes, mixed devices, or a single value per channel
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean,
      Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps) {
    String op = "batch_norm_train_forward";
    required(op, "x", x);
    required(op, "y", y);
    required(op, "saveMean", saveMean);
    required(op, "saveInvStd", saveInvStd);
    Device d = LayerChecks.devices(op, x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    long hw = (long) s[2] * s[3];
    Checks.shape(op, "y", y, s);
    shapeOrNull(op, "gamma", gamma, c);
    shapeOrNull(op, "beta", beta, c);
    Checks.shape(op, "saveMean", saveMean, c);
    Checks.shape(op, "saveInvStd", saveInvStd, c);
    if ((runningMean == null) != (runningVar == null)) {
      throw new IllegalArgumentException(op + ": runningMean and runningVar must both be given or both be null");
    }
    shapeOrNull(op, "runningMean", runningMean, c);
    shapeOrNull(op, "runningVar", runningVar, c);
    if (s[0] * hw <= 1) {
      throw new IllegalArgumentException(op + ": expected more than 1 value per channel in training, got x of shape "
          + LayerChecks.shapeOf(x));
    }
    Checks.apartOrSame(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "gamma", gamma);
    Checks.apart(op, "y", y, "beta", beta);
    Checks.outputsApart(op, new String[] {"saveMean", "saveInvStd", "runningMean", "runningVar"},
        new Tensor[] {saveMean, saveInvStd, runningMean, runningVar}, new String[] {"x", "y", "gamma", "beta"},
        new Tensor[] {x, y, gamma, beta});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_train_forward(x.address(), address(gamma), address(beta),
          y.address(), saveMean.address(), saveInvStd.address(), address(runningMean), address(runningVar), s[0], c,
          hw, momentum, eps));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_train_forward(x.address(), address(gamma), address(beta),
          y.address(), saveMean.address(), saveInvStd.address(), address(runningMean), address(runningVar), s[0], c,
          hw, momentum, eps, 0));
    }
  }

  /**
   * Inference forward with the running statistics: y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta,
   * as {@code F.batch_norm(x, runningMean, runningVar, gamma, beta, training=False, eps=eps)}.
   *
   * @param x input [N, C, H, W]
   * @param gamma scale [C] or null
   * @param beta shift [C] or null
   * @param runningMean [C]
   * @param runningVar [C]
   * @param y output [N, C, H, W]; may be x
   * @param eps added to the variance
   * @throws IllegalArgumentException on wrong shapes or mixed devices
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormInferenceForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
      Tensor runningVar, Tensor y, float eps) {
    String op = "batch_norm_inference_forward";
    required(op, "x", x);
    required(op, "runningMean", runningMean);
    required(op, "runningVar", runningVar);
    required(op, "y", y);
    Device d = LayerChecks.devices(op, x, gamma, beta, runningMean, runningVar, y);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    Checks.shape(op, "y", y, s);
    shapeOrNull(op, "gamma", gamma, c);
    shapeOrNull(op, "beta", beta, c);
    Checks.shape(op, "runningMean", runningMean, c);
    Checks.shape(op, "runningVar", runningVar, c);
    long hw = (long) s[2] * s[3];
    Checks.apartOrSame(op, "y", y, "x", x);
    Checks.outputsApart(op, new String[] {"y"}, new Tensor[] {y}, new String[] {"gamma", "beta", "runningMean", "runningVar"},
        new Tensor[] {gamma, beta, runningMean, runningVar});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_inference_forward(x.address(), address(gamma), address(beta),
          runningMean.address(), runningVar.address(), y.address(), s[0], c, hw, eps));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_inference_forward(x.address(), address(gamma),
          address(beta), runningMean.address(), runningVar.address(), y.address(), s[0], c, hw, eps, 0));
    }
  }

  /**
   * Training-mode backward, from the statistics saved by {@link #batchNormTrainForward}:
   * dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), dgamma = sum(dy * xhat), dbeta = sum(dy),
   * the gradients autograd gives for {@code F.batch_norm(..., training=True)}.
   *
   * @param x the forward input [N, C, H, W]
   * @param dy gradient of the output [N, C, H, W]
   * @param saveMean [C] from the forward pass
   * @param saveInvStd [C] from the forward pass
   * @param gamma scale [C] or null (affine = false)
   * @param dx gradient of x [N, C, H, W], written, or added into when accumulateDx; may be dy when not accumulating
   * @param dgamma [C] or null, overwritten
   * @param dbeta [C] or null, overwritten
   * @param accumulateDx add into dx instead of overwriting it
   * @throws IllegalArgumentException on wrong shapes or mixed devices
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormBackward(Tensor x, Tensor dy, Tensor saveMean, Tensor saveInvStd, Tensor gamma,
      Tensor dx, Tensor dgamma, Tensor dbeta, boolean accumulateDx) {
    String op = "batch_norm_backward";
    required(op, "x", x);
    required(op, "dy", dy);
    required(op, "saveMean", saveMean);
    required(op, "saveInvStd", saveInvStd);
    required(op, "dx", dx);
    Device d = LayerChecks.devices(op, x, dy, saveMean, saveInvStd, gamma, dx, dgamma, dbeta);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    Checks.shape(op, "dy", dy, s);
    Checks.shape(op, "dx", dx, s);
    Checks.shape(op, "saveMean", saveMean, c);
    Checks.shape(op, "saveInvStd", saveInvStd, c);
    shapeOrNull(op, "gamma", gamma, c);
    shapeOrNull(op, "dgamma", dgamma, c);
    shapeOrNull(op, "dbeta", dbeta, c);
    long hw = (long) s[2] * s[3];
    int acc = accumulateDx ? 1 : 0;
    if (accumulateDx) Checks.apart(op, "dx", dx, "dy", dy);
    else Checks.apartOrSame(op, "dx", dx, "dy", dy);
    Checks.outputsApart(op, new String[] {"dx", "dgamma", "dbeta"}, new Tensor[] {dx, dgamma, dbeta},
        new String[] {"x", "saveMean", "saveInvStd", "gamma"}, new Tensor[] {x, saveMean, saveInvStd, gamma});
    Checks.apart(op, "dgamma", dgamma, "dy", dy);
    Checks.apart(op, "dbeta", dbeta, "dy", dy);
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_backward(x.address(), dy.address(), saveMean.address(),
          saveInvStd.address(), address(gamma), dx.address(), address(dgamma), address(dbeta), s[0], c, hw, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_backward(x.address(), dy.address(), saveMean.address(),
          saveInvStd.address(), address(gamma), dx.address(), address(dgamma), address(dbeta), s[0], c, hw, acc, 0));
    }
  }

  // ---- synchronised batch norm: see SyncBatchNorm for the order of the steps across ranks

  /**
   * A shard's statistics for synchronised batch norm: stats[0..C) = sum of x, stats[C..2C) = sum
   * of x^2 per channel, stats[2C] = N*H*W, in double (so that summing the buffers of shards, as an
   * all-reduce does, gives the buffer of their union). An empty shard (N = 0) gives zeros.
   *
   * @param x the shard [N, C, H, W]
   * @param stats 2C + 1 doubles on x's device, overwritten
   * @throws IllegalArgumentException when x or stats is null, x is not rank 4, stats is on
   *     another device or does not hold 2C + 1 values
   * @throws IllegalStateException when x or stats is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormStats(Tensor x, NativeDoubles stats) {
    String op = "batch_norm_stats";
    required(op, "x", x);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    Device d = doublesOn(op, "stats", stats, x.device(), 2L * c + 1);
    long hw = (long) s[2] * s[3];
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_stats(x.address(), stats.address(), s[0], c, hw));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_stats(x.address(), stats.address(), s[0], c, hw, 0));
    }
  }

  /**
   * The batch's statistics from its summed {@link #batchNormStats}: mean, biased variance and
   * 1 / sqrt(var + eps) per channel, and the running averages updated as by
   * {@link #batchNormTrainForward} (the variance unbiased with the batch's count). Then
   * {@link #batchNormInferenceForward}(x, gamma, beta, saveMean, saveVar, y, eps) normalises each
   * shard. The CPU rejects a batch of one value per channel; on CUDA that check would need a host
   * sync, so it is the caller's (the running variance would become infinite).
   *
   * @param stats the batch's 2C + 1 doubles
   * @param saveMean [C], written
   * @param saveVar [C], written (biased)
   * @param saveInvStd [C], written
   * @param runningMean [C] or null; updated
   * @param runningVar [C] or null (with runningMean); updated
   * @param momentum weight of the batch statistics in the running averages
   * @param eps added to the variance
   * @throws IllegalArgumentException on wrong shapes, mixed devices, or a buffer of the wrong length
   * @throws IllegalStateException when a tensor or stats is closed
   * @throws KernelException when the native call fails, e.g. (CPU) a batch of one value per channel
   */
  public static void batchNormStatsFinish(NativeDoubles stats, Tensor saveMean, Tensor saveVar, Tensor saveInvStd,
      Tensor runningMean, Tensor runningVar, float momentum, float eps) {
    String op = "batch_norm_stats_finish";
    required(op, "saveMean", saveMean);
    required(op, "saveVar", saveVar);
    required(op, "saveInvStd", saveInvStd);
    Device d = LayerChecks.devices(op, saveMean, saveVar, saveInvStd, runningMean, runningVar);
    Checks.rank(op, "saveMean", saveMean, 1);
    int c = saveMean.dim(0);
    Checks.shape(op, "saveVar", saveVar, c);
    Checks.shape(op, "saveInvStd", saveInvStd, c);
    if ((runningMean == null) != (runningVar == null)) {
      throw new IllegalArgumentException(op + ": runningMean and runningVar must both be given or both be null");
    }
    shapeOrNull(op, "runningMean", runningMean, c);
    shapeOrNull(op, "runningVar", runningVar, c);
    doublesOn(op, "stats", stats, d, 2L * c + 1);
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_stats_finish(stats.address(), saveMean.address(),
          saveVar.address(), saveInvStd.address(), address(runningMean), address(runningVar), c, momentum, eps));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_stats_finish(stats.address(), saveMean.address(),
          saveVar.address(), saveInvStd.address(), address(runningMean), address(runningVar), c, momentum, eps, 0));
    }
  }

  /**
   * A shard's backward sums for synchronised batch norm: sums[0..C) = sum of dy, sums[C..2C) = sum
   * of dy * xhat, sums[2C] = N*H*W; also the shard's dgamma (= sum of dy * xhat) and dbeta (= sum
   * of dy), its share of the batch's: summed across ranks like every parameter's gradient.
   *
   * @param x the shard's forward input [N, C, H, W]
   * @param dy the shard's output gradient [N, C, H, W]
   * @param saveMean the batch's mean [C] ({@link #batchNormStatsFinish})
   * @param saveInvStd the batch's [C]
   * @param sums 2C + 1 doubles, overwritten
   * @param dgamma [C] or null, overwritten
   * @param dbeta [C] or null, overwritten
   * @throws IllegalArgumentException on wrong shapes, mixed devices, or a buffer of the wrong length
   * @throws IllegalStateException when a tensor or sums is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormBackwardStats(Tensor x, Tensor dy, Tensor saveMean, Tensor saveInvStd,
      NativeDoubles sums, Tensor dgamma, Tensor dbeta) {
    String op = "batch_norm_backward_stats";
    required(op, "x", x);
    required(op, "dy", dy);
    required(op, "saveMean", saveMean);
    required(op, "saveInvStd", saveInvStd);
    Device d = LayerChecks.devices(op, x, dy, saveMean, saveInvStd, dgamma, dbeta);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    Checks.shape(op, "dy", dy, s);
    Checks.shape(op, "saveMean", saveMean, c);
    Checks.shape(op, "saveInvStd", saveInvStd, c);
    shapeOrNull(op, "dgamma", dgamma, c);
    shapeOrNull(op, "dbeta", dbeta, c);
    doublesOn(op, "sums", sums, d, 2L * c + 1);
    long hw = (long) s[2] * s[3];
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_backward_stats(x.address(), dy.address(), saveMean.address(),
          saveInvStd.address(), sums.address(), address(dgamma), address(dbeta), s[0], c, hw));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_backward_stats(x.address(), dy.address(),
          saveMean.address(), saveInvStd.address(), sums.address(), address(dgamma), address(dbeta), s[0], c, hw, 0));
    }
  }

  /**
   * dx of a shard from the batch's summed {@link #batchNormBackwardStats}: dx = gamma * invstd *
   * (dy - S1/N - xhat * S2/N), written, or added into when accumulateDx.
   *
   * @param x the shard's forward input [N, C, H, W]
   * @param dy the shard's output gradient [N, C, H, W]
   * @param saveMean the batch's mean [C]
   * @param saveInvStd the batch's [C]
   * @param gamma [C] or null (1)
   * @param sums the batch's 2C + 1 doubles
   * @param dx [N, C, H, W]; may be dy when not accumulating
   * @param accumulateDx add into dx instead of overwriting it
   * @throws IllegalArgumentException on wrong shapes, mixed devices, or a buffer of the wrong length
   * @throws IllegalStateException when a tensor or sums is closed
   * @throws KernelException when the native call fails
   */
  public static void batchNormBackwardApply(Tensor x, Tensor dy, Tensor saveMean, Tensor saveInvStd, Tensor gamma,
      NativeDoubles sums, Tensor dx, boolean accumulateDx) {
    String op = "batch_norm_backward_apply";
    required(op, "x", x);
    required(op, "dy", dy);
    required(op, "saveMean", saveMean);
    required(op, "saveInvStd", saveInvStd);
    required(op, "dx", dx);
    Device d = LayerChecks.devices(op, x, dy, saveMean, saveInvStd, gamma, dx);
    int[] s = LayerChecks.nchw(op, "x", x);
    int c = s[1];
    Checks.shape(op, "dy", dy, s);
    Checks.shape(op, "dx", dx, s);
    Checks.shape(op, "saveMean", saveMean, c);
    Checks.shape(op, "saveInvStd", saveInvStd, c);
    shapeOrNull(op, "gamma", gamma, c);
    doublesOn(op, "sums", sums, d, 2L * c + 1);
    long hw = (long) s[2] * s[3];
    int acc = accumulateDx ? 1 : 0;
    if (accumulateDx) Checks.apart(op, "dx", dx, "dy", dy);
    else Checks.apartOrSame(op, "dx", dx, "dy", dy);
    Checks.outputsApart(op, new String[] {"dx"}, new Tensor[] {dx}, new String[] {"x", "saveMean", "saveInvStd", "gamma"},
        new Tensor[] {x, saveMean, saveInvStd, gamma});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_batch_norm_backward_apply(x.address(), dy.address(), saveMean.address(),
          saveInvStd.address(), address(gamma), sums.address(), dx.address(), s[0], c, hw, acc));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_batch_norm_backward_apply(x.address(), dy.address(),
          saveMean.address(), saveInvStd.address(), address(gamma), sums.address(), dx.address(), s[0], c, hw, acc, 0));
    }
  }

  /** Checks a double buffer's presence, device and length; returns the device. */
  private static Device doublesOn(String op, String name, NativeDoubles buffer, Device device, long length) {
    if (buffer == null) throw new IllegalArgumentException(op + ": " + name + " must not be null");
    if (buffer.isClosed()) throw new IllegalStateException(op + ": " + name + " was closed");
    if (!buffer.device().equals(device)) {
      throw new IllegalArgumentException(op + ": " + name + " is on " + buffer.device() + ", the tensors on " + device);
    }
    if (buffer.length() != length) {
      throw new IllegalArgumentException(op + ": " + name + " must hold " + length + " doubles (2C + 1), got "
          + buffer.length());
    }
    return device;
  }
}
