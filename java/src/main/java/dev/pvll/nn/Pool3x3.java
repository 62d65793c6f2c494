package dev.pvll.nn;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.PoolOps;
import dev.pvll.kernels.Tensor;

/** 3x3 max or average pooling, padding 1, stride 1 or 2 (the average excludes padding). */
public final class Pool3x3 implements Layer {
  private final boolean max;
  private final int stride;
  private Tensor input;

  public Pool3x3(boolean max, int stride) {
    this.max = max;
    this.stride = stride;
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x;
    Tensor y = Tensor.empty(x.device(), outputShape(x.shape()));
    if (max) PoolOps.maxPool3x3Forward(x, y, stride);
    else PoolOps.avgPool3x3Forward(x, y, stride);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    if (max) PoolOps.maxPool3x3Backward(input, dy, dx, stride, accumulate);
    else PoolOps.avgPool3x3Backward(dy, dx, stride, accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], s[1], ConvOps.outputSize(s[2], 3, stride, 1, 1), ConvOps.outputSize(s[3], 3, stride, 1, 1)};
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return max ? graph.maxPool3x3(x, stride) : graph.avgPool3x3(x, stride);
  }
}
