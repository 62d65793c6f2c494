package dev.pvll.export;

import dev.pvll.data.Normalization;
import dev.pvll.space.NetworkConfig;
import dev.pvll.train.EvalNetwork;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A retrained evaluation network as an ONNX model: opset {@value #OPSET} (IR version
 * {@value #IR_VERSION}), inference mode (batch norm with its running statistics as
 * BatchNormalization, no drop-path, no auxiliary head), input {@code images} float32
 * [batch, C, H, W] with a dynamic batch dimension, output {@code logits} float32
 * [batch, classes]. The input is normalised as in training, {@code (pixel / 255 - mean[c]) / std[c]};
 * the metadata says so and holds mean, std, the genotype and the class count.
 */
public final class OnnxExport {
  /** The ONNX operator set the model imports. */
  public static final int OPSET = 17;
  /** The ONNX IR version of the file (IR 8 goes with opset 17). */
  public static final int IR_VERSION = 8;
  static final String INPUT = "images", OUTPUT = "logits";

  /** The serialised model and what it holds. */
  public record Model(byte[] bytes, int nodes, Map<String, String> metadata) {}

  private OnnxExport() {}

  /**
   * The network's inference graph with its current weights (read from the device now).
   *
   * @param extraMetadata more metadata entries (e.g. the genotype, the training run), after the
   *     input description
   */
  public static Model of(EvalNetwork network, Normalization normalization, Map<String, String> extraMetadata) {
    NetworkConfig c = network.config();
    OnnxGraph graph = new OnnxGraph();
    graph.rename(network.toGraph(graph, INPUT), OUTPUT);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("input", INPUT + ": float32 [batch, " + c.inputChannels() + ", " + c.imageSize() + ", " + c.imageSize()
        + "], NCHW, each channel normalised as (pixel / 255 - mean[c]) / std[c]");
    metadata.put("output", OUTPUT + ": float32 [batch, " + c.classes() + "], unnormalised class scores (softmax gives probabilities)");
    metadata.put("normalization_mean", Arrays.toString(normalization.mean()));
    metadata.put("normalization_std", Arrays.toString(normalization.std()));
    metadata.put("classes", Integer.toString(c.classes()));
    metadata.putAll(extraMetadata);

    ProtoWriter model = new ProtoWriter()
        .varint(1, IR_VERSION)
        .string(2, "pvll")
        .string(3, "0.1")
        .message(7, graph.toProto("pvll_eval_network",
            List.of(valueInfo(INPUT, "batch", c.inputChannels(), c.imageSize(), c.imageSize())),
            List.of(valueInfo(OUTPUT, "batch", c.classes()))))
        .message(8, new ProtoWriter().string(1, "").varint(2, OPSET));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      model.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue()));
    }
    return new Model(model.toByteArray(), graph.nodeCount(), Map.copyOf(metadata));
  }

  /** A float32 tensor's ValueInfoProto: a named dynamic first dimension, then fixed ones. */
  private static ProtoWriter valueInfo(String name, String dynamicDim, int... dims) {
    ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, dynamicDim));
    for (int d : dims) shape.message(1, new ProtoWriter().varint(1, d));
    ProtoWriter tensorType = new ProtoWriter().varint(1, OnnxGraph.FLOAT).message(2, shape);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
  }
}
