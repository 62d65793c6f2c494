package dev.pvll.nn;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.Tensor;

/** Dense 2-D convolution (groups = 1), optional bias. */
public final class Conv2d implements Layer {
  private final int in, out, kernel, stride, padding, dilation;
  private final Parameter weight, bias;
  private Tensor input;

  public Conv2d(ParameterStore store, String name, int in, int out, int kernel, int stride, int padding, int dilation, boolean withBias) {
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    int fanIn = in * kernel * kernel;
    weight = store.add(name + ".weight", new Init.FanInUniform(fanIn), out, in, kernel, kernel);
    bias = withBias ? store.add(name + ".bias", new Init.FanInUniform(fanIn), out) : null;
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x;
    Tensor y = Tensor.empty(x.device(), outputShape(x.shape()));
    ConvOps.conv2dForward(x, weight.value(), bias == null ? null : bias.value(), y, stride, padding, dilation);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    ConvOps.conv2dBackwardWeight(input, dy, weight.grad(), bias == null ? null : bias.grad(), stride, padding, dilation, true);
    if (dx != null) ConvOps.conv2dBackwardInput(dy, weight.value(), dx, stride, padding, dilation, accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], out, ConvOps.outputSize(s[2], kernel, stride, padding, dilation),
        ConvOps.outputSize(s[3], kernel, stride, padding, dilation)};
  }

  public int inChannels() {
    return in;
  }

  @Override
  public long multiplyAdds(int[] s) {
    int[] o = outputShape(s);
    return (long) o[1] * o[2] * o[3] * in * kernel * kernel;
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.conv(x, weight, bias, stride, padding, dilation, 1);
  }
}
