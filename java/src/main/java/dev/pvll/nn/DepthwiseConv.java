package dev.pvll.nn;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.Tensor;

/** Depthwise k x k convolution with "same" padding dilation*(k-1)/2, no bias. */
public final class DepthwiseConv implements Layer {
  private final int channels, kernel, stride, dilation;
  private final Parameter weight;
  private Tensor input;

  public DepthwiseConv(ParameterStore store, String name, int channels, int kernel, int stride, int dilation) {
    this.channels = channels;
    this.kernel = kernel;
    this.stride = stride;
    this.dilation = dilation;
    weight = store.add(name + ".weight", new Init.FanInUniform(kernel * kernel), channels, 1, kernel, kernel);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x;
    Tensor y = Tensor.empty(x.device(), outputShape(x.shape()));
    ConvOps.depthwiseForward(x, weight.value(), y, stride, dilation);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    ConvOps.depthwiseBackwardWeight(input, dy, weight.grad(), stride, dilation, true);
    ConvOps.depthwiseBackwardInput(dy, weight.value(), dx, stride, dilation, accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    int pad = padding();
    return new int[] {s[0], channels, ConvOps.outputSize(s[2], kernel, stride, pad, dilation),
        ConvOps.outputSize(s[3], kernel, stride, pad, dilation)};
  }

  @Override
  public long multiplyAdds(int[] s) {
    int[] o = outputShape(s);
    return (long) o[1] * o[2] * o[3] * kernel * kernel;
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.conv(x, weight, null, stride, padding(), dilation, channels);
  }

  /** The "same" padding of the kernel at its dilation. */
  private int padding() {
    return dilation * (kernel - 1) / 2;
  }
}
