package dev.pvll.nn;

import dev.pvll.kernels.BatchShard;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import java.util.SplittableRandom;

/**
 * Drop-path (stochastic depth per sample): in training each sample's branch output is zeroed
 * with probability p and the survivors are scaled by 1/(1-p); identity in evaluation or at p=0.
 */
public final class DropPath {
  private Tensor mask;
  private float keep;

  /** y = x * mask / keep, with a fresh per-sample mask drawn from rng; returns x itself when inactive. */
  public Tensor forward(Tensor x, float dropProb, SplittableRandom rng, Mode mode) {
    return forward(x, dropProb, rng, BatchShard.whole(x.dim(0)), mode);
  }

  /**
   * The same for x holding the samples of shard of a batch sharded across ranks: the mask of the
   * whole batch is drawn (every rank draws the same) and shard's part of it applied, so the ranks
   * together drop what one process with the whole batch would.
   */
  public Tensor forward(Tensor x, float dropProb, SplittableRandom rng, BatchShard shard, Mode mode) {
    mask = null;
    if (mode != Mode.TRAIN || dropProb <= 0f) return x;
    if (shard.size() != x.dim(0)) throw new IllegalArgumentException("drop-path: a shard of " + shard.size() + " for " + x.dim(0) + " samples");
    keep = 1f - dropProb;
    float[] m = new float[x.dim(0)];
    for (int i = 0; i < shard.total(); i++) {
      float kept = rng.nextDouble() < keep ? 1f : 0f;
      if (i >= shard.start() && i < shard.start() + m.length) m[i - shard.start()] = kept;
    }
    mask = Tensor.of(x.device(), m, m.length);
    Tensor y = Tensor.emptyLike(x);
    TensorOps.dropPathForward(x, mask, y, keep);
    return y;
  }

  /** The gradient through the last forward: dy itself when it was inactive. */
  public Tensor backward(Tensor dy) {
    if (mask == null) return dy;
    Tensor dx = Tensor.emptyLike(dy);
    TensorOps.dropPathBackward(dy, mask, dx, keep, false);
    return dx;
  }
}
