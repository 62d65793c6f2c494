package dev.pvll.nn;

import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Tensor;

/** y = x (the same tensor, no copy). */
public final class Identity implements Layer {
  @Override
  public Tensor forward(Tensor x, Mode mode) {
    return x;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    ElementwiseOps.scaleAdd(dy, 1f, dx, accumulate);
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return x;
  }
}
