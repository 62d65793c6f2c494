package dev.pvll.nn;

import java.util.List;

/**
 * A sink for a network's inference computation, written op by op: each method adds one
 * operation on named values and returns the name of its result. Layers describe themselves to it
 * ({@link Layer#toGraph}); an exporter (ONNX) implements it. Inference semantics: batch norm with
 * its running statistics, no drop-path. Shapes are NCHW; every value keeps the batch dimension.
 */
public interface InferenceGraph {
  /**
   * A 2-D convolution, PyTorch's {@code conv2d}: weight [out, in/groups, k, k], optional bias
   * [out], square stride, symmetric padding and dilation.
   */
  String conv(String x, Parameter weight, Parameter bias, int stride, int padding, int dilation, int groups);

  /**
   * Inference batch norm over channels: {@code (x - mean) / sqrt(var + eps) * gamma + beta};
   * gamma and beta are null for batch norm without affine parameters (1 and 0).
   */
  String batchNorm(String x, Parameter gamma, Parameter beta, Parameter runningMean, Parameter runningVar, int channels,
      float eps);

  /** max(x, 0). */
  String relu(String x);

  /** 3x3 max pooling, padding 1 (padding never wins), the given stride. */
  String maxPool3x3(String x, int stride);

  /** 3x3 average pooling, padding 1, padded cells not counted (count_include_pad=false). */
  String avgPool3x3(String x, int stride);

  /** {@code x[:, :, top:, left:]}. */
  String crop(String x, int top, int left);

  /** Concatenation along channels, in the order given. */
  String concatChannels(List<String> xs);

  /** a + b (same shape). */
  String add(String a, String b);

  /** Mean over H and W: [N, C, H, W] to [N, C]. */
  String globalAvgPool(String x);

  /** x [N, in] times weight [out, in] transposed plus bias [out]. */
  String linear(String x, Parameter weight, Parameter bias);
}
