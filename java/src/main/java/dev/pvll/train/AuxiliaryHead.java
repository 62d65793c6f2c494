package dev.pvll.train;

import dev.pvll.kernels.SpatialOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.BatchNorm;
import dev.pvll.nn.Conv2d;
import dev.pvll.nn.Layer;
import dev.pvll.nn.Linear;
import dev.pvll.nn.Mode;
import dev.pvll.nn.ParameterStore;
import dev.pvll.nn.Relu;
import dev.pvll.nn.Sequential;

/**
 * DARTS's auxiliary classifier (AuxiliaryHeadCIFAR): ReLU, 5x5 average pool to 2x2, 1x1 conv
 * to 128, BN, ReLU, 2x2 conv to 768, BN, ReLU, linear. DARTS assumes an 8x8 input (pool stride
 * 3); for other sizes from 6 to 8 the stride is size - 5, so a 7x7 map (Fashion-MNIST) also
 * pools to 2x2.
 */
final class AuxiliaryHead implements Layer {
  private final Relu relu = new Relu();
  private final Sequential features;
  private final Linear classifier;
  private final int stride;
  private Tensor reluOut, pooled;

  AuxiliaryHead(ParameterStore store, ParameterStore buffers, String name, int channels, int size, int classes) {
    if (size < 6 || size > 8) {
      throw new IllegalArgumentException("auxiliary head needs a 6x6 to 8x8 input, got " + size + "x" + size);
    }
    stride = size - 5;
    features = new Sequential(
        new Conv2d(store, name + ".features.2", channels, 128, 1, 1, 0, 1, false),
        new BatchNorm(store, buffers, name + ".features.3", 128, true),
        new Relu(),
        new Conv2d(store, name + ".features.5", 128, 768, 2, 1, 0, 1, false),
        new BatchNorm(store, buffers, name + ".features.6", 768, true),
        new Relu());
    classifier = new Linear(store, name + ".classifier", 768, classes);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    reluOut = relu.forward(x, mode);
    pooled = Tensor.empty(x.device(), x.dim(0), x.dim(1), 2, 2);
    SpatialOps.avgPoolForward(reluOut, pooled, 5, stride, 0);
    return classifier.forward(features.forward(pooled, mode), mode);
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    Tensor dFeatures = Tensor.empty(dy.device(), dy.dim(0), 768, 1, 1);
    classifier.backward(dy, dFeatures, false);
    Tensor dPooled = Tensor.emptyLike(pooled);
    features.backward(dFeatures, dPooled, false);
    Tensor dRelu = Tensor.emptyLike(reluOut);
    SpatialOps.avgPoolBackward(dPooled, dRelu, 5, stride, 0, false);
    relu.backward(dRelu, dx, accumulate);
    dFeatures.close();
    dPooled.close();
    dRelu.close();
  }

  @Override
  public int[] outputShape(int[] s) {
    return classifier.outputShape(new int[] {s[0], 768});
  }

  @Override
  public long multiplyAdds(int[] s) {
    return features.multiplyAdds(new int[] {1, s[1], 2, 2}) + classifier.multiplyAdds(new int[] {1, 768});
  }
}
