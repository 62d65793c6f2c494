package dev.pvll.kernels;

/**
 * Training-mode batch norm over a batch whose samples are sharded across the ranks of a
 * data-parallel job: every rank normalises its shard with the whole batch's mean and variance and
 * back-propagates through them, so the job computes what one process holding the whole batch
 * would, to rounding (per-shard statistics would not). Each direction is a local reduction, one
 * all-reduce of 2C + 1 doubles through the given {@link Collectives}, and a local map:
 *
 * <pre>
 *   forward   NormOps.batchNormStats -> allReduceSum -> NormOps.batchNormStatsFinish
 *             -> NormOps.batchNormInferenceForward(x, gamma, beta, mean, var, y)
 *   backward  NormOps.batchNormBackwardStats -> allReduceSum -> NormOps.batchNormBackwardApply
 * </pre>
 *
 * With {@link Collectives#size()} 1 it calls the fused single-process kernels
 * ({@link NormOps#batchNormTrainForward}, {@link NormOps#batchNormBackward}) instead. The
 * returned dgamma and dbeta are the shard's shares: the job's gradient all-reduce sums them like
 * every other parameter's gradient. The collectives come in as an argument (a layer holds the
 * job's instance), never from global state.
 *
 * <p>PyTorch equivalent: {@code torch.nn.SyncBatchNorm} in training mode. Deterministic as the
 * {@link NormOps} it calls, up to the all-reduce, whose order of summation is the collective
 * library's (results may differ in the last bits with the number of ranks). Checks: collectives not null
 * ({@link IllegalArgumentException}), then those of the {@link NormOps} called; a failed
 * all-reduce throws {@link KernelException} with status {@link KernelException#COLLECTIVE}.
 */
public final class SyncBatchNorm {
  private SyncBatchNorm() {}

  /**
   * The forward pass; arguments as {@link NormOps#batchNormTrainForward}, with the statistics of
   * the whole batch across collectives' ranks. Every rank must call it for the same layer at the
   * same time. On an empty shard (N = 0) nothing is normalised; the shard still joins the
   * all-reduce.
   *
   * @param collectives the job's collectives, not null
   * @param x this rank's shard [N, C, H, W]
   * @param gamma scale [C] or null
   * @param beta shift [C] or null
   * @param y output [N, C, H, W]; may be x
   * @param saveMean the batch's mean [C], written
   * @param saveInvStd the batch's 1 / sqrt(var + eps) [C], written
   * @param runningMean [C] or null; updated with the batch's statistics
   * @param runningVar [C] or null (with runningMean); updated with the unbiased batch variance
   * @param momentum weight of the batch statistics in the running averages
   * @param eps added to the variance
   * @throws IllegalArgumentException when collectives is null or a check of {@link NormOps} fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when a native call or the all-reduce fails
   */
  public static void trainForward(Collectives collectives, Tensor x, Tensor gamma, Tensor beta, Tensor y,
      Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps) {
    if (collectives == null) throw new IllegalArgumentException("SyncBatchNorm: collectives must not be null");
    if (collectives.size() == 1) {
      NormOps.batchNormTrainForward(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, momentum, eps);
      return;
    }
    LayerChecks.required("sync_batch_norm_forward", "x", x);
    LayerChecks.required("sync_batch_norm_forward", "y", y);
    int c = LayerChecks.nchw("sync_batch_norm_forward", "x", x)[1];
    Checks.shape("sync_batch_norm_forward", "y", y, x.shape());
    try (NativeDoubles stats = NativeDoubles.zeros(x.device(), 2L * c + 1);
        Tensor saveVar = Scope.unowned(() -> Tensor.empty(x.device(), c))) {
      NormOps.batchNormStats(x, stats);
      collectives.allReduceSum(stats);
      NormOps.batchNormStatsFinish(stats, saveMean, saveVar, saveInvStd, runningMean, runningVar, momentum, eps);
      if (x.dim(0) > 0) NormOps.batchNormInferenceForward(x, gamma, beta, saveMean, saveVar, y, eps);
    }
  }

  /**
   * The backward pass; arguments as {@link NormOps#batchNormBackward}, from the statistics the
   * forward saved; dgamma and dbeta are this shard's shares.
   *
   * @param collectives the job's collectives, not null
   * @param x this rank's forward input [N, C, H, W]
   * @param dy gradient of the output [N, C, H, W]
   * @param saveMean [C] from the forward pass
   * @param saveInvStd [C] from the forward pass
   * @param gamma scale [C] or null
   * @param dx gradient of x [N, C, H, W]; may be dy when not accumulating
   * @param dgamma [C] or null, overwritten with this shard's share
   * @param dbeta [C] or null, overwritten with this shard's share
   * @param accumulateDx add into dx instead of overwriting it
   * @throws IllegalArgumentException when collectives is null or a check of {@link NormOps} fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when a native call or the all-reduce fails
   */
  public static void backward(Collectives collectives, Tensor x, Tensor dy, Tensor saveMean, Tensor saveInvStd,
      Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, boolean accumulateDx) {
    if (collectives == null) throw new IllegalArgumentException("SyncBatchNorm: collectives must not be null");
    if (collectives.size() == 1) {
      NormOps.batchNormBackward(x, dy, saveMean, saveInvStd, gamma, dx, dgamma, dbeta, accumulateDx);
      return;
    }
    LayerChecks.required("sync_batch_norm_backward", "x", x);
    int c = LayerChecks.nchw("sync_batch_norm_backward", "x", x)[1];
    try (NativeDoubles sums = NativeDoubles.zeros(x.device(), 2L * c + 1)) {
      NormOps.batchNormBackwardStats(x, dy, saveMean, saveInvStd, sums, dgamma, dbeta);
      collectives.allReduceSum(sums);
      NormOps.batchNormBackwardApply(x, dy, saveMean, saveInvStd, gamma, sums, dx, accumulateDx);
    }
  }
}
