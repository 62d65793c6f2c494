package dev.pvll.search;

import dev.pvll.space.Primitive;
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
  RIDGE,
  /**
   * Kernel ridge regression on H, a linear plus a radial kernel, fitted in closed form on
   * weights focused on the best labels, kernel and penalty chosen by leave-one-out
   * ({@link KernelPredictor}): unlike RIDGE, it can also bend near the genotypes it has measured.
   * In the DARTS space it also sees each op's attributes ({@link KernelPredictor#dartsOpAttributes()}),
   * so alike ops (sep_conv_3x3 and sep_conv_5x5) count as near.
   */
  KERNEL;

  /**
   * A new, PyTorch-initialised predictor of this kind with default sizes.
   *
   * @param memoryCapacity the memory's capacity: the most labels a fit sees (KERNEL keeps them all)
   */
  public Predictor create(ArchEncoding encoding, long seed, int memoryCapacity) {
    return switch (this) {
      case LSTM -> new LstmPredictor(encoding, seed);
      case MLP -> new MlpPredictor(encoding, MlpPredictor.DEFAULT_HIDDEN, seed);
      case OPCOUNT -> new OpCountPredictor(encoding);
      case LINEAR -> new MlpPredictor(encoding, new int[0], seed);
      case RIDGE -> new RidgePredictor(encoding);
      case KERNEL -> encoding.ops() == Primitive.COUNT
          ? new KernelPredictor(encoding, memoryCapacity, KernelPredictor.dartsOpAttributes())
          : new KernelPredictor(encoding, memoryCapacity);
    };
  }

  /** Parses {@code lstm}, {@code mlp}, {@code opcount}, {@code linear}, {@code ridge} or {@code kernel} (any case); the error names the accepted values. */
  public static PredictorKind parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("unknown predictor '" + text + "': use lstm, mlp, opcount, linear, ridge or kernel");
    }
  }
}
