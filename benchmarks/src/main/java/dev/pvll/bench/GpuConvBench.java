package dev.pvll.bench;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.CudaStatus;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.bind.CudaKernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The conv ops on cuda:0 at the search shapes (batch 64: C=16 32x32, C=32 16x16, C=64 8x8),
 * the same ops and directions that benchmarks/device/torch_ops.py times in PyTorch on the same
 * GPU. Each invocation enqueues one op (or, for forwardBackward, the forward pass and both
 * gradients) and then synchronises the device, so the time is the device work plus one launch
 * and one synchronisation; the kernel-only figures come from kernels/dev/depthwise_check (CUDA
 * events). Ops: {@code dw<k>_s<stride>_d<dilation>} (depthwise, d2 = dil_conv), {@code pw}
 * (pointwise C -> C), {@code fr} (FactorizedReduce's strided 1x1, C -> C/2).
 *
 * <p>Fails in setup, naming the reason, where no GPU is usable. On the device machine
 * (benchmarks/device/run-on-device.sh) without forking:
 *
 * <pre>
 * java -cp pvll.jar:bench-classes:jmh/* org.openjdk.jmh.Main GpuConvBench -f 0 -wi 1 -w 200ms -i 3 -r 300ms
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class GpuConvBench {
  @Param({"64x16x32x32", "64x32x16x16", "64x64x8x8"})
  public String shape;

  @Param({"dw3_s1_d1", "dw3_s2_d1", "dw5_s1_d1", "dw5_s2_d1", "dw3_s1_d2", "dw3_s2_d2", "dw5_s1_d2", "dw5_s2_d2",
      "pw", "fr"})
  public String op;

  private final Device gpu = Device.cuda(0);
  private Tensor x, w, y, dy, dx, dw;
  private String kind;
  private int k, stride, dilation;

  @Setup(Level.Trial)
  public void setUp() {
    CudaStatus status = CudaStatus.probe();
    if (!status.available() || status.gpus().isEmpty()) {
      throw new IllegalStateException("GpuConvBench needs a CUDA GPU: " + status.reason());
    }
    int[] s = Shapes.parse(shape);
    int n = s[0], c = s[1], h = s[2], wd = s[3];
    int[] ws;
    int cout = c, oh = h, ow = wd;
    if (op.startsWith("dw")) {
      kind = "dw";
      String[] parts = op.substring(2).split("_");
      k = Integer.parseInt(parts[0]);
      stride = Integer.parseInt(parts[1].substring(1));
      dilation = Integer.parseInt(parts[2].substring(1));
      ws = new int[] {c, 1, k, k};
      oh = (h - 1) / stride + 1;
      ow = (wd - 1) / stride + 1;
    } else if (op.equals("pw")) {
      kind = "pw";
      ws = new int[] {c, c, 1, 1};
    } else if (op.equals("fr")) {
      kind = "fr";
      stride = 2;
      cout = c / 2;
      ws = new int[] {cout, c, 1, 1};
      oh = ConvOps.outputSize(h, 1, 2, 0, 1);
      ow = ConvOps.outputSize(wd, 1, 2, 0, 1);
    } else {
      throw new IllegalArgumentException("unknown op " + op);
    }
    Random r = new Random(1);
    x = Tensor.of(gpu, normal(r, n * c * h * wd), n, c, h, wd);
    w = Tensor.of(gpu, normal(r, (int) Shapes.count(ws)), ws);
    y = Tensor.empty(gpu, n, cout, oh, ow);
    dy = Tensor.of(gpu, normal(r, n * cout * oh * ow), n, cout, oh, ow);
    dx = Tensor.empty(gpu, n, c, h, wd);
    dw = Tensor.empty(gpu, ws);
    sync();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (Tensor t : new Tensor[] {x, w, y, dy, dx, dw}) {
      if (t != null) t.close();
    }
  }

  private static float[] normal(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  private void sync() {
    int status = CudaKernels.pvll_cuda_synchronize(gpu.index());
    if (status != 0) throw new IllegalStateException("synchronize: " + CudaKernels.pvll_cuda_last_error());
  }

  private void forwardOnly() {
    switch (kind) {
      case "dw" -> ConvOps.depthwiseForward(x, w, y, stride, dilation);
      case "pw" -> ConvOps.pointwiseForward(x, w, y);
      default -> ConvOps.conv2dForward(x, w, null, y, stride, 0, 1);
    }
  }

  private void backwardInputOnly() {
    switch (kind) {
      case "dw" -> ConvOps.depthwiseBackwardInput(dy, w, dx, stride, dilation, false);
      case "pw" -> ConvOps.pointwiseBackwardInput(dy, w, dx, false);
      default -> ConvOps.conv2dBackwardInput(dy, w, dx, stride, 0, 1, false);
    }
  }

  private void backwardWeightOnly() {
    switch (kind) {
      case "dw" -> ConvOps.depthwiseBackwardWeight(x, dy, dw, stride, dilation, false);
      case "pw" -> ConvOps.pointwiseBackwardWeight(x, dy, dw, false);
      default -> ConvOps.conv2dBackwardWeight(x, dy, dw, null, stride, 0, 1, false);
    }
  }

  @Benchmark
  public void forward() {
    forwardOnly();
    sync();
  }

  @Benchmark
  public void backwardInput() {
    backwardInputOnly();
    sync();
  }

  @Benchmark
  public void backwardWeight() {
    backwardWeightOnly();
    sync();
  }

  @Benchmark
  public void forwardBackward() {
    forwardOnly();
    backwardInputOnly();
    backwardWeightOnly();
    sync();
  }
}
