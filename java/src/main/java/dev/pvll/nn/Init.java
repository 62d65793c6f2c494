package dev.pvll.nn;

import java.util.SplittableRandom;

/** How a parameter or buffer starts, PyTorch's defaults where they exist. */
public sealed interface Init {
  /** Fills values deterministically from rng. */
  void fill(float[] values, SplittableRandom rng);

  /** Uniform in [-1/sqrt(fanIn), 1/sqrt(fanIn)]: PyTorch's default for conv and linear weights and biases. */
  record FanInUniform(int fanIn) implements Init {
    @Override
    public void fill(float[] values, SplittableRandom rng) {
      double bound = 1.0 / Math.sqrt(fanIn);
      for (int i = 0; i < values.length; i++) values[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
  }

  /** Every value the same (BN scale 1, shift 0, running variance 1). */
  record Constant(float value) implements Init {
    @Override
    public void fill(float[] values, SplittableRandom rng) {
      java.util.Arrays.fill(values, value);
    }
  }
}
