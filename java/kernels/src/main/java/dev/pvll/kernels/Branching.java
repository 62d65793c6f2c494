package dev.pvll.kernels;

import java.util.function.IntConsumer;

/**
 * Chooses which of several pieces of work runs from a value held in a tensor. Outside a graph
 * capture the choice is made on the host ({@link #reading()}, {@link #fromHost}); inside one
 * ({@link CudaGraph#capture}) every case is recorded as a body of a switch node and the device
 * picks one at each replay, so one graph serves every value.
 */
@FunctionalInterface
public interface Branching {
  /**
   * Runs body(k), with k = (int) selector[index], for the work of case k; values outside
   * [0, cases) (and NaN) run nothing. A capturing branching calls body for every case instead.
   *
   * @param selector the tensor holding the value
   * @param index the element of selector to read, 0 to size - 1
   * @param cases the number of cases
   * @param body the work of case k, given k
   */
  void branch(Tensor selector, long index, int cases, IntConsumer body);

  /**
   * Reads selector[index] from the tensor (on CUDA this waits for the device).
   *
   * @return a branching that reads the device value
   */
  static Branching reading() {
    return (selector, index, cases, body) -> {
      float value;
      try (Tensor one = selector.view(index, 1)) {
        value = one.toArray()[0];
      }
      run(value, cases, body);
    };
  }

  /**
   * Reads the value from a host copy of the selector tensor (mirror[index]), which the caller
   * keeps equal to what the tensor will hold when the work runs: no device read-back.
   *
   * @param mirror the host copy of the selector's values
   * @return a branching that reads mirror
   */
  static Branching fromHost(float[] mirror) {
    return (selector, index, cases, body) -> run(mirror[Math.toIntExact(index)], cases, body);
  }

  private static void run(float value, int cases, IntConsumer body) {
    if (value >= 0 && value < cases) body.accept((int) value);
  }
}
