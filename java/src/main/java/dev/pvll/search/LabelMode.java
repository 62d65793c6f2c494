package dev.pvll.search;

/** How a label (an architecture's validation loss) is measured on the shared weights. */
public enum LabelMode {
  /** METHOD.md: one more supernet epoch with the architecture, then validation with running BN statistics. */
  EVAL,
  /**
   * As EVAL, but each validation batch is normalised with its own statistics, so a label does not
   * depend on how stale a rarely chosen op's running statistics are.
   */
  BATCH_STATS,
  /**
   * The shared weights, their momentum and BN statistics are saved at the end of the first warm-up
   * pass; every label from the second warm-up pass on is one epoch of training from that
   * snapshot, at its learning rate and data order, then the validation loss: a label depends on
   * the architecture, not on when it was measured. An option beside the faithful default.
   */
  SNAPSHOT,
  /**
   * One-shot labels: the warm-up trains the shared weights for 2N epochs with a fresh
   * architecture every batch (the learning rate annealed over those epochs), then the weights
   * freeze; every label, warm-up ones included, is the validation loss on the frozen weights with
   * batch statistics: a deterministic function of the architecture, one validation pass each.
   * Measured: with one architecture per warm-up epoch instead, architectures the warm-up never
   * trained scored at chance, 1.7-2.4.
   */
  FROZEN
}
