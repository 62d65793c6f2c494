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
  default int parameterCount() {
    return parameters().length;
  }

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

  /** Throws when a given parameter gradient (null: none asked for) does not fit the parameters. */
  default void checkParameterGradient(double[] paramGrad) {
    if (paramGrad != null && paramGrad.length != parameterCount()) {
      throw new IllegalArgumentException(describe() + ": parameter gradient of " + paramGrad.length + " values for " + parameterCount());
    }
  }

  /** psi(h). */
  double predict(double[] h);

  /**
   * Forward and backward at h: returns psi(h); adds {@code dOut * d psi / d theta} into
   * {@code paramGrad} (accumulates; skipped when null) and writes {@code dOut * d psi / d h} into
   * {@code inputGrad} (overwrites; skipped when null).
   */
  double backward(double[] h, double dOut, double[] paramGrad, double[] inputGrad);

  /**
   * psi for each architecture of a batch. Implementations may keep what
   * {@link #backwardBatch} needs; the default calls {@link #predict} per architecture.
   */
  default double[] forwardBatch(double[][] hs) {
    double[] out = new double[hs.length];
    for (int i = 0; i < hs.length; i++) out[i] = predict(hs[i]);
    return out;
  }

  /**
   * Adds {@code sum_i dOut[i] * d psi(hs[i]) / d theta} into {@code paramGrad}. {@code hs} must
   * be the batch of the preceding {@link #forwardBatch} call on this instance, unchanged, with
   * the parameters unchanged since. The default calls {@link #backward} per architecture.
   */
  default void backwardBatch(double[][] hs, double[] dOut, double[] paramGrad) {
    for (int i = 0; i < hs.length; i++) backward(hs[i], dOut[i], paramGrad, null);
  }

  /** An independent predictor with a copy of these parameters. */
  Predictor copy();

  /** A one-line description, e.g. {@code LSTM(8 -> 16) -> Linear(16, 1) -> 2*sigmoid, 1681 parameters}. */
  String describe();
}
