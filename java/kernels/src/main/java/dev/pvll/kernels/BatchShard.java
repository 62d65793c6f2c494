package dev.pvll.kernels;

/**
 * One rank's share of a batch in a data-parallel job: the samples [start, start + size) of a
 * batch of total. The first {@code total % ranks} ranks take one sample more than the others, so
 * shards differ by at most one and every sample has one rank; a shard may be empty when the
 * batch has fewer samples than there are ranks (a last, partial batch).
 *
 * <p>The loss of a shard is its mean over size samples; scaled by {@link #share()} and summed
 * over the ranks it is the batch's mean, exactly for unequal shards too.
 *
 * @param start the shard's first sample within the batch
 * @param size samples in the shard
 * @param total samples in the whole batch, across the ranks
 */
public record BatchShard(int start, int size, int total) {
  /**
   * Checks the shard.
   *
   * @param start the shard's first sample within the batch
   * @param size samples in the shard
   * @param total samples in the whole batch
   * @throws IllegalArgumentException when [start, start + size) does not fit a batch of total
   */
  public BatchShard {
    if (total < 0 || size < 0 || start < 0 || start + size > total) {
      throw new IllegalArgumentException("shard [" + start + ", " + (start + size) + ") does not fit a batch of " + total);
    }
  }

  /**
   * Rank's shard of a batch of total samples over ranks ranks.
   *
   * @param total samples in the batch
   * @param rank the rank, 0 to ranks - 1
   * @param ranks ranks sharing the batch
   * @return the rank's shard
   * @throws IllegalArgumentException for a rank outside [0, ranks)
   */
  public static BatchShard of(int total, int rank, int ranks) {
    if (ranks < 1 || rank < 0 || rank >= ranks) throw new IllegalArgumentException("rank " + rank + " of " + ranks);
    int base = total / ranks, extra = total % ranks;
    return new BatchShard(rank * base + Math.min(rank, extra), base + (rank < extra ? 1 : 0), total);
  }

  /**
   * The whole batch: a single process's share.
   *
   * @param total samples in the batch
   * @return the shard holding all of them
   */
  public static BatchShard whole(int total) {
    return new BatchShard(0, total, total);
  }

  /**
   * The weight of the shard's mean in the batch's mean.
   *
   * @return size / total (0 for an empty batch)
   */
  public float share() {
    return total == 0 ? 0f : (float) size / total;
  }

  /**
   * Whether this shard is the whole batch.
   *
   * @return size == total
   */
  public boolean isWhole() {
    return size == total;
  }
}
