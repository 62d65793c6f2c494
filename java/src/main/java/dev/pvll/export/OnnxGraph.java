package dev.pvll.export;

import dev.pvll.nn.InferenceGraph;
import dev.pvll.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An {@link InferenceGraph} written as an ONNX graph (opset 17): one node per operation, the
 * parameters as float32 initializers (copied when the node is added, so the network may be
 * closed afterwards). Field numbers are those of onnx.proto.
 */
final class OnnxGraph implements InferenceGraph {
  /** ONNX TensorProto.DataType values. */
  static final int FLOAT = 1, INT64 = 7;
  /** ONNX AttributeProto.AttributeType values. */
  private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7;

  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final Set<String> initializerNames = new HashSet<>();
  private int values;

  @Override
  public String conv(String x, Parameter weight, Parameter bias, int stride, int padding, int dilation, int groups) {
    int[] w = weight.shape();
    List<String> in = new ArrayList<>(List.of(x, initializer(weight)));
    if (bias != null) in.add(initializer(bias));
    return node("Conv", in, ints("kernel_shape", w[2], w[3]), ints("strides", stride, stride),
        ints("pads", padding, padding, padding, padding), ints("dilations", dilation, dilation), integer("group", groups));
  }

  @Override
  public String batchNorm(String x, Parameter gamma, Parameter beta, Parameter runningMean, Parameter runningVar, int channels,
      float eps) {
    String scale = gamma != null ? initializer(gamma) : constant(runningMean.name() + ".unit_scale", filled(channels, 1f));
    String shift = beta != null ? initializer(beta) : constant(runningMean.name() + ".zero_shift", filled(channels, 0f));
    return node("BatchNormalization", List.of(x, scale, shift, initializer(runningMean), initializer(runningVar)),
        real("epsilon", eps));
  }

  @Override
  public String relu(String x) {
    return node("Relu", List.of(x));
  }

  @Override
  public String maxPool3x3(String x, int stride) {
    return node("MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", stride, stride), ints("pads", 1, 1, 1, 1));
  }

  @Override
  public String avgPool3x3(String x, int stride) {
    return node("AveragePool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", stride, stride), ints("pads", 1, 1, 1, 1),
        integer("count_include_pad", 0));
  }

  @Override
  public String crop(String x, int top, int left) {
    String starts = constant("crop_starts_" + top + "_" + left, new long[] {top, left});
    String ends = constant("crop_ends", new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
    String axes = constant("crop_axes", new long[] {2, 3});
    return node("Slice", List.of(x, starts, ends, axes));
  }

  @Override
  public String concatChannels(List<String> xs) {
    return node("Concat", xs, integer("axis", 1));
  }

  @Override
  public String add(String a, String b) {
    return node("Add", List.of(a, b));
  }

  @Override
  public String globalAvgPool(String x) {
    return node("Flatten", List.of(node("GlobalAveragePool", List.of(x))), integer("axis", 1));
  }

  @Override
  public String linear(String x, Parameter weight, Parameter bias) {
    return node("Gemm", List.of(x, initializer(weight), initializer(bias)), integer("transB", 1));
  }

  /** Gives the value named x the name output (an Identity node). */
  void rename(String x, String output) {
    nodes.add(nodeProto("Identity", List.of(x), output, List.of()));
  }

  int nodeCount() {
    return nodes.size();
  }

  /** The GraphProto with the given inputs and outputs (ValueInfoProto messages). */
  ProtoWriter toProto(String name, List<ProtoWriter> inputs, List<ProtoWriter> outputs) {
    ProtoWriter g = new ProtoWriter();
    for (ProtoWriter n : nodes) g.message(1, n);
    g.string(2, name);
    for (ProtoWriter t : initializers) g.message(5, t);
    for (ProtoWriter i : inputs) g.message(11, i);
    for (ProtoWriter o : outputs) g.message(12, o);
    return g;
  }

  private String node(String op, List<String> inputs, ProtoWriter... attributes) {
    String out = op.toLowerCase() + "_" + values++;
    nodes.add(nodeProto(op, inputs, out, List.of(attributes)));
    return out;
  }

  private static ProtoWriter nodeProto(String op, List<String> inputs, String output, List<ProtoWriter> attributes) {
    ProtoWriter n = new ProtoWriter();
    for (String i : inputs) n.string(1, i);
    n.string(2, output);
    n.string(3, output);
    n.string(4, op);
    for (ProtoWriter a : attributes) n.message(5, a);
    return n;
  }

  private String initializer(Parameter p) {
    return constant(p.name(), p.value().toArray(), p.shape());
  }

  private String constant(String name, float[] data, int... shape) {
    if (initializerNames.add(name)) {
      long[] dims = shape.length == 0 ? new long[] {data.length} : Arrays.stream(shape).asLongStream().toArray();
      initializers.add(tensor(name, FLOAT, dims, ProtoWriter.littleEndian(data)));
    }
    return name;
  }

  private String constant(String name, long[] data) {
    if (initializerNames.add(name)) initializers.add(tensor(name, INT64, new long[] {data.length}, ProtoWriter.littleEndian(data)));
    return name;
  }

  private static ProtoWriter tensor(String name, int type, long[] dims, byte[] raw) {
    return new ProtoWriter().packedVarints(1, dims).varint(2, type).string(8, name).bytes(9, raw);
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    Arrays.fill(a, v);
    return a;
  }

  private static ProtoWriter ints(String name, long... values) {
    return new ProtoWriter().string(1, name).packedVarints(8, values).varint(20, ATTR_INTS);
  }

  private static ProtoWriter integer(String name, long value) {
    return new ProtoWriter().string(1, name).varint(3, value).varint(20, ATTR_INT);
  }

  private static ProtoWriter real(String name, float value) {
    return new ProtoWriter().string(1, name).float32(2, value).varint(20, ATTR_FLOAT);
  }
}
