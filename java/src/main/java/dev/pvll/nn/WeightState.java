package dev.pvll.nn;

/**
 * A network's training state as host arrays, in a fixed order: parameter values, their SGD
 * momentum, the BN running statistics (buffers). What checkpoints write and snapshots keep.
 */
public final class WeightState {
  private WeightState() {}

  /** Copies of parameters' values, parameters' momentum and buffers' values, in that order. */
  public static float[][] copy(ParameterStore parameters, ParameterStore buffers) {
    return new float[][] {parameters.values().toArray(), parameters.momentum().toArray(), buffers.values().toArray()};
  }

  /** Sets what {@link #copy} returned (or the same three arrays read back from a checkpoint). */
  public static void set(ParameterStore parameters, ParameterStore buffers, float[][] state) {
    parameters.values().copyFrom(state[0]);
    parameters.momentum().copyFrom(state[1]);
    buffers.values().copyFrom(state[2]);
  }
}
