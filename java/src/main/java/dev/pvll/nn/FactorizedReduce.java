package dev.pvll.nn;

import dev.pvll.kernels.SpatialOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import java.util.List;

/**
 * DARTS's FactorizedReduce: ReLU, then two 1x1 stride-2 convolutions, one on x and one on x
 * shifted by one pixel (x[:, :, 1:, 1:]), each giving half the output channels, concatenated,
 * then batch norm. Halves the spatial size; needs an even input size.
 */
public final class FactorizedReduce implements Layer {
  private final Relu relu = new Relu();
  private final Conv2d conv1, conv2;
  private final BatchNorm bn;
  private final int out;
  private Tensor reluOut, shifted;

  public FactorizedReduce(ParameterStore store, ParameterStore buffers, String name, int in, int out, boolean affine) {
    if (out % 2 != 0) throw new IllegalArgumentException(name + ": FactorizedReduce needs an even channel count, got " + out);
    this.out = out;
    conv1 = new Conv2d(store, name + ".conv_1", in, out / 2, 1, 2, 0, 1, false);
    conv2 = new Conv2d(store, name + ".conv_2", in, out / 2, 1, 2, 0, 1, false);
    bn = new BatchNorm(store, buffers, name + ".bn", out, affine);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    if (x.dim(2) % 2 != 0 || x.dim(3) % 2 != 0) {
      throw new IllegalArgumentException("FactorizedReduce needs an even spatial size, got " + x.dim(2) + "x" + x.dim(3));
    }
    reluOut = relu.forward(x, mode);
    shifted = Tensor.empty(x.device(), x.dim(0), x.dim(1), x.dim(2) - 1, x.dim(3) - 1);
    SpatialOps.cropForward(reluOut, shifted, 1, 1);
    Tensor a = conv1.forward(reluOut, mode), b = conv2.forward(shifted, mode);
    Tensor cat = Tensor.empty(x.device(), x.dim(0), out, a.dim(2), a.dim(3));
    TensorOps.concatChannels(List.of(a, b), cat);
    return bn.forward(cat, mode);
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    Tensor dcat = Tensor.emptyLike(dy);
    bn.backward(dy, dcat, false);
    int[] half = {dy.dim(0), out / 2, dy.dim(2), dy.dim(3)};
    Tensor da = Tensor.empty(dy.device(), half), db = Tensor.empty(dy.device(), half);
    TensorOps.splitChannels(dcat, List.of(da, db), false);
    Tensor dRelu = Tensor.emptyLike(reluOut), dShifted = Tensor.emptyLike(shifted);
    conv1.backward(da, dRelu, false);
    conv2.backward(db, dShifted, false);
    SpatialOps.cropBackward(dShifted, dRelu, 1, 1, true);
    relu.backward(dRelu, dx, accumulate);
    for (Tensor t : new Tensor[] {dcat, da, db, dRelu, dShifted}) t.close();
  }

  @Override
  public int[] outputShape(int[] s) {
    return new int[] {s[0], out, s[2] / 2, s[3] / 2};
  }

  @Override
  public long multiplyAdds(int[] s) {
    return conv1.multiplyAdds(s) + conv2.multiplyAdds(new int[] {s[0], s[1], s[2] - 1, s[3] - 1});
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    String r = relu.toGraph(graph, x);
    String a = conv1.toGraph(graph, r), b = conv2.toGraph(graph, graph.crop(r, 1, 1));
    return bn.toGraph(graph, graph.concatChannels(List.of(a, b)));
  }
}
