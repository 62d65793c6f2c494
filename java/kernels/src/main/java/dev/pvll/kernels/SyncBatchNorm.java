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
 */
public final class SyncBatchNorm {
  private SyncBatchNorm() {}

  /**
   * The forward pass; arguments as {@link NormOps#batchNormTrainForward}, with the statistics of
   * the whole batch across collectives' ranks. Every rank must call it for the same layer at the
   * same time.
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
