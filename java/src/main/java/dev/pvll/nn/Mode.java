package dev.pvll.nn;

/** How a forward pass runs. */
public enum Mode {
  /** Batch statistics (running statistics updated), drop-path, saves what backward needs. */
  TRAIN,
  /** Running statistics, no drop-path, no backward. */
  EVAL,
  /**
   * Evaluation that normalises with each batch's own statistics and leaves the running
   * statistics alone: labels that do not depend on how stale a rarely-chosen op's running
   * statistics are.
   */
  EVAL_BATCH_STATS
}
