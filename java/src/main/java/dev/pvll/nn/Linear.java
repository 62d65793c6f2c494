package dev.pvll.nn;

import dev.pvll.kernels.LinearOps;
import dev.pvll.kernels.Tensor;

/** y = x W^T + b on [N, in] inputs (a [N, C, 1, 1] or [N, C] tensor is read as [N, C]). */
public final class Linear implements Layer {
  private final int in, out;
  private final Parameter weight, bias;
  private Tensor input;

  public Linear(ParameterStore store, String name, int in, int out) {
    this.in = in;
    this.out = out;
    weight = store.add(name + ".weight", new Init.FanInUniform(in), out, in);
    bias = store.add(name + ".bias", new Init.FanInUniform(in), out);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    input = x.rank() == 2 ? x : x.reshape(x.dim(0), in);
    Tensor y = Tensor.empty(x.device(), x.dim(0), out);
    LinearOps.linearForward(input, weight.value(), bias.value(), y);
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    Tensor dx2 = dx == null ? null : dx.rank() == 2 ? dx : dx.reshape(dx.dim(0), in);
    LinearOps.linearBackward(input, weight.value(), dy, dx2, weight.grad(), bias.grad(), accumulate);
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], out};
  }

  @Override
  public long multiplyAdds(int[] s) {
    return (long) in * out;
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.linear(x, weight, bias);
  }
}
