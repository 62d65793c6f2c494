package dev.pvll.nn;

import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Tensor;

/** ReLU; keeps its input for backward. */
public final class Relu implements Layer {
  private Tensor input;

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x;
    return ElementwiseOps.relu(x);
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    if (!accumulate) {
      ElementwiseOps.reluBackward(input, dy, dx);
      return;
    }
    try (Tensor tmp = Tensor.emptyLike(dx)) {
      ElementwiseOps.reluBackward(input, dy, tmp);
      ElementwiseOps.scaleAdd(tmp, 1f, dx, true);
    }
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.relu(x);
  }
}
