package dev.pvll.nn;

import dev.pvll.kernels.Tensor;

/**
 * A network piece with an explicit backward pass. forward allocates its output in the current
 * {@link dev.pvll.kernels.Scope} and keeps what backward needs (its input, statistics) until the
 * next forward; backward adds parameter gradients into the store's gradient buffer.
 */
public interface Layer {
  /** y = layer(x). */
  Tensor forward(Tensor x, Mode mode);

  /** Given dL/dy of the last forward, writes (or, with accumulate, adds) dL/dx into dx. */
  void backward(Tensor dy, Tensor dx, boolean accumulate);

  /** Output shape for an input shape [N, C, H, W]. */
  int[] outputShape(int[] inputShape);

  /** Multiply-adds of one forward pass for one image of the given shape [1, C, H, W]. */
  default long multiplyAdds(int[] inputShape) {
    return 0;
  }

  /**
   * Writes this layer's inference computation on the value named x into graph and returns the
   * name of its output (for export, e.g. to ONNX).
   */
  default String toGraph(InferenceGraph graph, String x) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be written as an inference graph");
  }
}
