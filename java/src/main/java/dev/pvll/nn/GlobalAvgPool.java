package dev.pvll.nn;

import dev.pvll.kernels.PoolOps;
import dev.pvll.kernels.Tensor;

/** [N, C, H, W] to [N, C]: the mean over each plane. */
public final class GlobalAvgPool implements Layer {
  @Override
  public Tensor forward(Tensor x, Mode mode) {
    Tensor y = Tensor.empty(x.device(), x.dim(0), x.dim(1));
    PoolOps.globalAvgPoolForward(x, y);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    PoolOps.globalAvgPoolBackward(dy, dx, accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], s[1]};
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.globalAvgPool(x);
  }
}
