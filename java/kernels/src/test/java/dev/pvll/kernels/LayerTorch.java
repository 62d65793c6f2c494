package dev.pvll.kernels;

import dev.pvll.testing.Torch;
import java.util.Arrays;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/** Small glue between pvll tensors and libtorch tensors for the layer-op tests. */
final class LayerTorch {
  private LayerTorch() {}

  static long[] dims(int... shape) {
    return Arrays.stream(shape).asLongStream().toArray();
  }

  /** A pvll CPU tensor holding data. */
  static Tensor ours(float[] data, int... shape) {
    return Tensor.of(Device.cpu(), data, shape);
  }

  /** A libtorch tensor holding a copy of data. */
  static org.bytedeco.pytorch.Tensor torch(float[] data, int... shape) {
    return Torch.tensor(data, dims(shape));
  }

  /** A libtorch leaf (requires_grad) holding a copy of data. */
  static org.bytedeco.pytorch.Tensor leaf(float[] data, int... shape) {
    return Torch.leaf(data, dims(shape));
  }

  /**
   * A float32 libtorch leaf, for the one comparison that needs libtorch's own float32 sums (max
   * pooling's exact check); every other reference is float64 (see {@link Torch}).
   */
  static org.bytedeco.pytorch.Tensor leafFloat32(float[] data, int... shape) {
    org.bytedeco.pytorch.Tensor t = Torch.tensor(data, org.bytedeco.pytorch.global.torch.ScalarType.Float, dims(shape));
    t.requires_grad_(true);
    return t;
  }

  /** Backward from y with upstream gradient dy (in y's type). */
  static void backward(org.bytedeco.pytorch.Tensor y, float[] dy, int... shape) {
    y.backward(Torch.tensor(dy, y.scalar_type(), dims(shape)), new BoolOptional(), false, new TensorArrayRefOptional());
  }

  static float[] array(org.bytedeco.pytorch.Tensor t) {
    return Torch.array(t);
  }

  /** x * s + o elementwise (a copy). */
  static float[] affine(float[] x, float s, float o) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) y[i] = x[i] * s + o;
    return y;
  }

  static int count(int... shape) {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }
}
