package dev.pvll.nn;

import dev.pvll.kernels.Tensor;

/**
 * One learnable tensor: a view into the flat parameter buffer of a {@link ParameterStore} and
 * the matching view into its flat gradient buffer.
 */
public final class Parameter {
  private final String name;
  private final int[] shape;
  private final long offset;
  private final Init init;
  private Tensor value;
  private Tensor grad;

  Parameter(String name, int[] shape, long offset, Init init) {
    this.name = name;
    this.shape = shape.clone();
    this.offset = offset;
    this.init = init;
  }

  void bind(Tensor flatValues, Tensor flatGrads) {
    value = flatValues.view(offset, shape);
    grad = flatGrads.view(offset, shape);
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  /** Element offset in the flat buffers. */
  public long offset() {
    return offset;
  }

  public long size() {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  Init init() {
    return init;
  }

  /** The values (a view; valid once the store is allocated). */
  public Tensor value() {
    if (value == null) throw new IllegalStateException("parameter " + name + " used before its store was allocated");
    return value;
  }

  /** The gradient (a view; kernels accumulate into it, the store zeroes it each step). */
  public Tensor grad() {
    if (grad == null) throw new IllegalStateException("parameter " + name + " used before its store was allocated");
    return grad;
  }
}
