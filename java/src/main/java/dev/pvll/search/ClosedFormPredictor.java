package dev.pvll.search;

/** A psi fitted in closed form on the memory at each refit (no passes, no optimiser): the same memory gives the same psi. */
public interface ClosedFormPredictor extends Predictor {
  /**
   * Fits psi to the labels.
   *
   * @param hs the encodings, each {@link ArchEncoding#size()} values
   * @param labels one finite label per encoding
   * @param weights one positive, finite weight per encoding (1 / label for METHOD.md's weighted loss)
   */
  void fit(double[][] hs, double[] labels, double[] weights);
}
