package dev.pvll.nn;

import dev.pvll.kernels.Tensor;
import java.util.List;

/** Layers applied in order; backward runs them in reverse through temporaries. */
public final class Sequential implements Layer {
  private final List<Layer> layers;
  private int[][] inputShapes;

  public Sequential(List<Layer> layers) {
    if (layers.isEmpty()) throw new IllegalArgumentException("Sequential needs at least one layer");
    this.layers = List.copyOf(layers);
  }

  public Sequential(Layer... layers) {
    this(List.of(layers));
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    inputShapes = new int[layers.size()][];
    Tensor h = x;
    for (int i = 0; i < layers.size(); i++) {
      inputShapes[i] = h.shape();
      h = layers.get(i).forward(h, mode);
    }
    return h;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    Tensor g = dy;
    for (int i = layers.size() - 1; i > 0; i--) {
      Tensor gi = Tensor.empty(dy.device(), inputShapes[i]);
      layers.get(i).backward(g, gi, false);
      if (g != dy) g.close();
      g = gi;
    }
    layers.get(0).backward(g, dx, accumulate);
    if (g != dy) g.close();
  }

  @Override
  public int[] outputShape(int[] in) {
    int[] s = in;
    for (Layer l : layers) s = l.outputShape(s);
    return s;
  }

  @Override
  public long multiplyAdds(int[] in) {
    long total = 0;
    int[] s = in;
    for (Layer l : layers) {
      total += l.multiplyAdds(s);
      s = l.outputShape(s);
    }
    return total;
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    String y = x;
    for (Layer l : layers) y = l.toGraph(graph, y);
    return y;
  }
}
