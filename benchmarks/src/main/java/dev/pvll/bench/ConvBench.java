package dev.pvll.bench;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.testing.Torch;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The conv kernels against the same op in libtorch, in the same run, batch 64, both on 2
 * threads. Each {@code config} is one op at one shape:
 * <ul>
 *   <li>{@code dwKdDsS_CxHxW}: depthwise k x k, dilation D, stride S (sep_conv uses d1, dil_conv d2);
 *   <li>{@code pw_CxHxW}: pointwise 1x1, C to C channels;
 *   <li>{@code convKsSpP_CinxHxW_Cout}: general conv2d with bias (stem, FactorizedReduce, aux head).
 * </ul>
 * The libtorch peer runs {@code torch.conv2d} (groups = C for depthwise) forward and
 * {@code torch.convolution_backward} (what autograd calls) for the input and weight gradients
 * (and the bias gradient for conv2d). "backward" is both gradients; forward + backward is the sum.
 *
 * <p>Run from the worktree root after {@code mvn -q -B -o package -DskipTests}:
 * <pre>
 * MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456 \
 *   java -jar benchmarks/target/benchmarks.jar ConvBench -f 1 -wi 3 -i 5 -w 1 -r 1 -rf json -rff conv.json
 * python3 benchmarks/conv_table.py conv.json &gt; benchmarks/RESULTS-conv.md
 * </pre>
 * (the malloc settings keep glibc from returning libtorch's freed buffers to the OS each call).
 *
 * <p>libtorch's OpenMP threads (GNU libgomp) spin while they wait. On a machine whose cores
 * other processes also use, a thread then spins while its partner is descheduled, and libtorch
 * times grow 10x to 1000x (seconds per backward call at load 10 on 2 cores). pvll's pool sleeps
 * while it waits. For a fair comparison on a shared machine, add {@code OMP_WAIT_POLICY=PASSIVE}
 * (libtorch threads then sleep too); on an idle machine, run without it as well.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBench {
  static final int BATCH = 64;

  @Param({
    // search shapes (CIFAR: 32, 16, 8) and Fashion-MNIST shapes (28, 14, 7); sep_conv and dil_conv
    "dw3d1s1_16x32x32", "dw5d1s1_16x32x32", "dw3d2s1_16x32x32", "dw5d2s1_16x32x32",
    "dw3d1s1_32x16x16", "dw5d1s1_32x16x16", "dw3d2s1_32x16x16", "dw5d2s1_32x16x16",
    "dw3d1s1_64x8x8", "dw5d1s1_64x8x8", "dw3d2s1_64x8x8", "dw5d2s1_64x8x8",
    "dw3d1s1_16x28x28", "dw5d1s1_16x28x28", "dw3d2s1_16x28x28", "dw5d2s1_16x28x28",
    "dw3d1s1_32x14x14", "dw5d1s1_32x14x14", "dw3d2s1_32x14x14", "dw5d2s1_32x14x14",
    "dw3d1s1_64x7x7", "dw5d1s1_64x7x7", "dw3d2s1_64x7x7", "dw5d2s1_64x7x7",
    // stride 2 in reduction cells, on the maps being reduced
    "dw3d1s2_16x32x32", "dw5d1s2_16x32x32", "dw3d2s2_16x32x32", "dw5d2s2_16x32x32",
    "dw3d1s2_32x16x16", "dw5d1s2_32x16x16", "dw3d2s2_32x16x16", "dw5d2s2_32x16x16",
    "dw3d1s2_16x28x28", "dw5d1s2_16x28x28", "dw3d2s2_16x28x28", "dw5d2s2_16x28x28",
    "dw3d1s2_32x14x14", "dw5d1s2_32x14x14", "dw3d2s2_32x14x14", "dw5d2s2_32x14x14",
    "pw_16x32x32", "pw_32x16x16", "pw_64x8x8", "pw_16x28x28", "pw_32x14x14", "pw_64x7x7",
    // stem (C = 16: 48 channels), FactorizedReduce's strided 1x1 convs, auxiliary head
    "conv3s1p1_3x32x32_48", "conv3s1p1_1x28x28_48",
    "conv1s2p0_64x32x32_16", "conv1s2p0_128x16x16_32", "conv1s2p0_64x28x28_16", "conv1s2p0_128x14x14_32",
    "conv1s1p0_256x2x2_128", "conv2s1p0_128x2x2_768"
  })
  public String config;

  private static final Pattern DW = Pattern.compile("dw(\\d+)d(\\d+)s(\\d+)_(\\d+)x(\\d+)x(\\d+)");
  private static final Pattern PW = Pattern.compile("pw_(\\d+)x(\\d+)x(\\d+)");
  private static final Pattern CONV = Pattern.compile("conv(\\d+)s(\\d+)p(\\d+)_(\\d+)x(\\d+)x(\\d+)_(\\d+)");

  private String kind;
  private int cin, h, w, cout, k, stride, padding, dilation, groups;
  private Tensor x, weight, bias, y, dy, dx, dw, db;
  private org.bytedeco.pytorch.Tensor tx, tw, tb, tdy;
  private long[] tStride, tPadding, tDilation, tBiasSizes;
  private BoolPointer mask;

  @Setup(Level.Trial)
  public void setUp() {
    parse(config);
    CpuInfo.setThreads(2);
    Torch.setThreads(2); // loads libtorch safely on an empty JavaCPP cache
    int oh = ConvOps.outputSize(h, k, stride, padding, dilation), ow = ConvOps.outputSize(w, k, stride, padding, dilation);
    int cinG = cin / groups;
    Random r = new Random(42);
    float[] xs = normal(r, BATCH * cin * h * w), ws = normal(r, cout * cinG * k * k), bs = normal(r, cout);
    float[] dys = normal(r, BATCH * cout * oh * ow);
    Device cpu = Device.cpu();
    x = Tensor.of(cpu, xs, BATCH, cin, h, w);
    weight = Tensor.of(cpu, ws, cout, cinG, k, k);
    bias = Tensor.of(cpu, bs, cout);
    y = Tensor.zeros(cpu, BATCH, cout, oh, ow);
    dy = Tensor.of(cpu, dys, BATCH, cout, oh, ow);
    dx = Tensor.zeros(cpu, BATCH, cin, h, w);
    dw = Tensor.zeros(cpu, cout, cinG, k, k);
    db = Tensor.zeros(cpu, cout);
    tx = torchTensor(xs, BATCH, cin, h, w);
    tw = torchTensor(ws, cout, cinG, k, k);
    tb = torchTensor(bs, cout);
    tdy = torchTensor(dys, BATCH, cout, oh, ow);
    tStride = new long[] {stride, stride};
    tPadding = new long[] {padding, padding};
    tDilation = new long[] {dilation, dilation};
    tBiasSizes = new long[] {cout};
    boolean withBias = kind.equals("conv");
    mask = new BoolPointer(3).put(0, true).put(1, true).put(2, withBias);
  }

  private void parse(String c) {
    Matcher m;
    if ((m = DW.matcher(c)).matches()) {
      kind = "dw";
      k = Integer.parseInt(m.group(1));
      dilation = Integer.parseInt(m.group(2));
      stride = Integer.parseInt(m.group(3));
      cin = cout = groups = Integer.parseInt(m.group(4));
      padding = dilation * (k - 1) / 2;
      h = Integer.parseInt(m.group(5));
      w = Integer.parseInt(m.group(6));
    } else if ((m = PW.matcher(c)).matches()) {
      kind = "pw";
      k = stride = dilation = groups = 1;
      padding = 0;
      cin = cout = Integer.parseInt(m.group(1));
      h = Integer.parseInt(m.group(2));
      w = Integer.parseInt(m.group(3));
    } else if ((m = CONV.matcher(c)).matches()) {
      kind = "conv";
      k = Integer.parseInt(m.group(1));
      stride = Integer.parseInt(m.group(2));
      padding = Integer.parseInt(m.group(3));
      dilation = groups = 1;
      cin = Integer.parseInt(m.group(4));
      h = Integer.parseInt(m.group(5));
      w = Integer.parseInt(m.group(6));
      cout = Integer.parseInt(m.group(7));
    } else {
      throw new IllegalArgumentException("unknown config '" + c + "'");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (Tensor t : new Tensor[] {x, weight, bias, y, dy, dx, dw, db}) t.close();
  }

  @Benchmark
  public void oursForward() {
    switch (kind) {
      case "dw" -> ConvOps.depthwiseForward(x, weight, y, stride, dilation);
      case "pw" -> ConvOps.pointwiseForward(x, weight, y);
      default -> ConvOps.conv2dForward(x, weight, bias, y, stride, padding, dilation);
    }
  }

  @Benchmark
  public void oursBackward() {
    switch (kind) {
      case "dw" -> {
        ConvOps.depthwiseBackwardInput(dy, weight, dx, stride, dilation, false);
        ConvOps.depthwiseBackwardWeight(x, dy, dw, stride, dilation, false);
      }
      case "pw" -> {
        ConvOps.pointwiseBackwardInput(dy, weight, dx, false);
        ConvOps.pointwiseBackwardWeight(x, dy, dw, false);
      }
      default -> {
        ConvOps.conv2dBackwardInput(dy, weight, dx, stride, padding, dilation, false);
        ConvOps.conv2dBackwardWeight(x, dy, dw, db, stride, padding, dilation, false);
      }
    }
  }

  @Benchmark
  public void torchForward() {
    try (PointerScope scope = new PointerScope()) {
      torch.conv2d(tx, tw, kind.equals("conv") ? new TensorOptional(tb) : new TensorOptional(), tStride, tPadding,
          tDilation, groups);
    }
  }

  @Benchmark
  public void torchBackward() {
    try (PointerScope scope = new PointerScope()) {
      torch.convolution_backward(tdy, tx, tw, tBiasSizes, tStride, tPadding, tDilation, false, new long[] {0, 0},
          groups, mask);
    }
  }

  private static float[] normal(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  private static org.bytedeco.pytorch.Tensor torchTensor(float[] data, long... shape) {
    FloatPointer p = new FloatPointer(data);
    org.bytedeco.pytorch.Tensor t = torch.from_blob(p, shape).clone();
    p.close();
    return t;
  }
}
