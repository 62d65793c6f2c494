package dev.pvll.search;

/**
 * psi: a differentiable regressor from an architecture encoding H ({@link ArchEncoding}, flat,
 * row-major) to a predicted validation loss. Its parameters live in one flat double vector that
 * optimisers update in place. Implementations keep a workspace, so one instance is not
 * thread-safe; use {@link #copy()} per thread. Fitting on the memory is
 * {@link PredictorTrainer}'s job.
 */
public interface Predictor {
  /** The encoding the predictor reads. */
  ArchEncoding encoding();

  /** Number of parameters. */
  int parameterCount();

  /** The live flat parameter vector (not a copy): writing to it changes the predictor. */
  double[] parameters();

  /** Copies {@code values} into the parameters. */
  default void setParameters(double[] values) {
    double[] p = parameters();
    if (values.length != p.length) {
      throw new IllegalArgumentException(describe() + ": " + values.length + " parameter values for " + p.length + " parameters");
    }
    System.arraycopy(values, 0, p, 0, p.length);
  }

  /** psi(h). */
  double predict(double[] h);

  /**
   * Forward and backward at h: returns psi(h); adds {@code dOut * d psi / d theta} into
   * {@code paramGrad} (accumulates; skipped when null) and writes {@code dOut * d psi / d h} into
   * {@code inputGrad} (overwrites; skipped when null).
   */
  double backward(double[] h, double dOut, double[] paramGrad, double[] inputGrad);

  /** An independent predictor with a copy of these parameters. */
  Predictor copy();

  /** A one-line description, e.g. {@code LSTM(8 -> 16) -> Linear(16, 1) -> 2*sigmoid, 1681 parameters}. */
  String describe();
}
