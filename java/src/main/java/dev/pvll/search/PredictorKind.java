package dev.pvll.search;

import java.util.Locale;

/** The predictors psi can be, by name (for flags and configuration files). */
public enum PredictorKind {
  /** METHOD.md's LSTM (hidden 16), the default. */
  LSTM,
  /** The MLP option (hidden widths {@link MlpPredictor#DEFAULT_HIDDEN}). */
  MLP,
  /** Linear in the expected op counts per cell type ({@link OpCountPredictor}), 17 parameters. */
  OPCOUNT,
  /**
   * Linear in H, one weight per edge and op (225 parameters for DARTS), through psi's 2 sigmoid
   * output: the MLP without hidden layers. Unlike OPCOUNT it tells edges apart, so the architecture
   * step can prefer different ops on different edges.
   */
  LINEAR,
  /**
   * Linear in H like LINEAR, without the sigmoid, fitted in closed form by weighted ridge
   * regression with the penalty chosen by leave-one-out ({@link RidgePredictor}): no passes, no
   * learning rate, the same psi for the same memory.
   */
  RIDGE;

  /** A new, PyTorch-initialised predictor of this kind with default sizes. */
  public Predictor create(ArchEncoding encoding, long seed) {
    return switch (this) {
      case LSTM -> new LstmPredictor(encoding, seed);
      case MLP -> new MlpPredictor(encoding, MlpPredictor.DEFAULT_HIDDEN, seed);
      case OPCOUNT -> new OpCountPredictor(encoding);
      case LINEAR -> new MlpPredictor(encoding, new int[0], seed);
      case RIDGE -> new RidgePredictor(encoding);
    };
  }

  /** Parses {@code lstm}, {@code mlp}, {@code opcount}, {@code linear} or {@code ridge} (any case); the error names the accepted values. */
  public static PredictorKind parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("unknown predictor '" + text + "': use lstm, mlp, opcount, linear or ridge");
    }
  }
}
