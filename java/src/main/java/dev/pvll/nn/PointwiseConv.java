package dev.pvll.nn;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.Tensor;

/** 1x1 convolution, stride 1, no bias. */
public final class PointwiseConv implements Layer {
  private final int out;
  private final Parameter weight;
  private Tensor input;

  public PointwiseConv(ParameterStore store, String name, int in, int out) {
    this.out = out;
    weight = store.add(name + ".weight", new Init.FanInUniform(in), out, in, 1, 1);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x;
    Tensor y = Tensor.empty(x.device(), outputShape(x.shape()));
    ConvOps.pointwiseForward(x, weight.value(), y);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    ConvOps.pointwiseBackwardWeight(input, dy, weight.grad(), true);
    ConvOps.pointwiseBackwardInput(dy, weight.value(), dx, accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], out, s[2], s[3]};
  }

  @Override
  public long multiplyAdds(int[] s) {
    return (long) out * s[1] * s[2] * s[3];
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.conv(x, weight, null, 1, 0, 1, 1);
  }
}
