package dev.pvll.search;

import java.util.Locale;

/** The predictors psi can be, by name (for flags and configuration files). */
public enum PredictorKind {
  /** METHOD.md's LSTM (hidden 16), the default. */
  LSTM,
  /** The MLP option (hidden widths {@link MlpPredictor#DEFAULT_HIDDEN}). */
  MLP,
  /** Linear in the expected op counts per cell type ({@link OpCountPredictor}), 17 parameters. */
  OPCOUNT;

  /** A new, PyTorch-initialised predictor of this kind with default sizes. */
  public Predictor create(ArchEncoding encoding, long seed) {
    return switch (this) {
      case LSTM -> new LstmPredictor(encoding, seed);
      case MLP -> new MlpPredictor(encoding, MlpPredictor.DEFAULT_HIDDEN, seed);
      case OPCOUNT -> new OpCountPredictor(encoding);
    };
  }

  /** Parses {@code lstm}, {@code mlp} or {@code opcount} (any case); the error names the accepted values. */
  public static PredictorKind parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("unknown predictor '" + text + "': use lstm, mlp or opcount");
    }
  }
}
