package dev.pvll.bench;

import dev.pvll.kernels.CudaStatus;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.LinearOps;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.NormOps;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.PoolOps;
import dev.pvll.kernels.SamplingOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import dev.pvll.kernels.bind.CudaKernels;
import java.util.ArrayList;
import java.util.List;
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
 * The non-convolution layer ops on cuda:0 at the search shapes (batch 64: C=16 32x32, C=32
 * 16x16, C=64 8x8), each invocation one op plus a device synchronize, so the time is the
 * device's (plus one launch and sync, as PyTorch's per-op figures include a launch). The
 * PyTorch peer is benchmarks/device/torch_layers.py, run in the same device call.
 * Without a usable GPU every benchmark fails its setup with a "SKIPPED: no cuda:0" message
 * (no numbers are recorded).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GpuLayerBench -f 1 -wi 3 -i 5 -w 1 -r 1 -rf json -rff gpu_layers.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GpuLayerBench {
  static final int BATCH = 64;
  static final int PARAMS = 1_930_618; // the search network's parameter count

  static Device gpu() {
    CudaStatus s = CudaStatus.probe();
    if (!s.available() || s.gpus().isEmpty()) {
      throw new IllegalStateException("SKIPPED: GpuLayerBench needs cuda:0: " + s.reason());
    }
    return Device.cuda(0);
  }

  static void sync() {
    int status = CudaKernels.pvll_cuda_synchronize(0);
    if (status != 0) throw new IllegalStateException("synchronize: " + CudaKernels.pvll_cuda_last_error());
  }

  static Tensor normal(Device d, Random r, int... shape) {
    float[] v = new float[LayerBench.count(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.of(d, v, shape);
  }

  /** A search-shape feature map and its companions. */
  @State(Scope.Thread)
  public static class Maps {
    @Param({"16x32x32", "32x16x16", "64x8x8"})
    public String shape;

    final List<Tensor> all = new ArrayList<>();
    int[] s;
    Tensor x, y, dy, dx, gamma, beta, mean, invstd, rm, rv, dgamma, dbeta, gap, dgap, mask, cat, dcat;
    List<Tensor> parts, dparts;

    Tensor keep(Tensor t) {
      all.add(t);
      return t;
    }

    @Setup(Level.Trial)
    public void setUp() {
      Device d = gpu();
      int[] chw = Shapes.parse(shape);
      int c = chw[0];
      s = new int[] {BATCH, c, chw[1], chw[2]};
      Random r = new Random(1);
      x = keep(normal(d, r, s));
      dy = keep(normal(d, r, s));
      y = keep(Tensor.empty(d, s));
      dx = keep(Tensor.empty(d, s));
      gamma = keep(normal(d, r, c));
      beta = keep(normal(d, r, c));
      mean = keep(Tensor.empty(d, c));
      invstd = keep(Tensor.empty(d, c));
      rm = keep(Tensor.zeros(d, c));
      rv = keep(Tensor.full(d, 1f, c));
      dgamma = keep(Tensor.empty(d, c));
      dbeta = keep(Tensor.empty(d, c));
      gap = keep(Tensor.empty(d, BATCH, c));
      dgap = keep(normal(d, r, BATCH, c));
      float[] m = new float[BATCH];
      for (int i = 0; i < BATCH; i++) m[i] = r.nextFloat() < 0.7f ? 1f : 0f;
      mask = keep(Tensor.of(d, m, BATCH));
      parts = new ArrayList<>();
      dparts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        parts.add(keep(normal(d, r, s)));
        dparts.add(keep(Tensor.empty(d, s)));
      }
      cat = keep(Tensor.empty(d, BATCH, 4 * c, chw[1], chw[2]));
      dcat = keep(normal(d, r, BATCH, 4 * c, chw[1], chw[2]));
      NormOps.batchNormTrainForward(x, gamma, beta, y, mean, invstd, rm, rv, 0.1f, 1e-5f);
      sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : all) t.close();
    }
  }

  @Benchmark
  public void bnTrainForward(Maps m) {
    NormOps.batchNormTrainForward(m.x, m.gamma, m.beta, m.y, m.mean, m.invstd, m.rm, m.rv, 0.1f, 1e-5f);
    sync();
  }

  @Benchmark
  public void bnBackward(Maps m) {
    NormOps.batchNormBackward(m.x, m.dy, m.mean, m.invstd, m.gamma, m.dx, m.dgamma, m.dbeta, false);
    sync();
  }

  @Benchmark
  public void bnInference(Maps m) {
    NormOps.batchNormInferenceForward(m.x, m.gamma, m.beta, m.rm, m.rv, m.y, 1e-5f);
    sync();
  }

  /** A search-shape feature map and a stride for the 3x3 pools. */
  @State(Scope.Thread)
  public static class Pools {
    @Param({"16x32x32", "32x16x16", "64x8x8"})
    public String shape;

    @Param({"1", "2"})
    public int stride;

    Tensor x, dx, pooled, dpooled;

    @Setup(Level.Trial)
    public void setUp() {
      Device d = gpu();
      int[] chw = Shapes.parse(shape);
      int[] s = {BATCH, chw[0], chw[1], chw[2]};
      int[] so = {BATCH, chw[0], (chw[1] - 1) / stride + 1, (chw[2] - 1) / stride + 1};
      Random r = new Random(1);
      x = normal(d, r, s);
      dx = Tensor.empty(d, s);
      pooled = Tensor.empty(d, so);
      dpooled = normal(d, r, so);
      sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {x, dx, pooled, dpooled}) t.close();
    }
  }

  @Benchmark
  public void maxPoolForward(Pools m) {
    PoolOps.maxPool3x3Forward(m.x, m.pooled, m.stride);
    sync();
  }

  @Benchmark
  public void maxPoolBackward(Pools m) {
    PoolOps.maxPool3x3Backward(m.x, m.dpooled, m.dx, m.stride, false);
    sync();
  }

  @Benchmark
  public void avgPoolForward(Pools m) {
    PoolOps.avgPool3x3Forward(m.x, m.pooled, m.stride);
    sync();
  }

  @Benchmark
  public void avgPoolBackward(Pools m) {
    PoolOps.avgPool3x3Backward(m.dpooled, m.dx, m.stride, false);
    sync();
  }

  @Benchmark
  public void globalAvgPoolForward(Maps m) {
    PoolOps.globalAvgPoolForward(m.x, m.gap);
    sync();
  }

  @Benchmark
  public void globalAvgPoolBackward(Maps m) {
    PoolOps.globalAvgPoolBackward(m.dgap, m.dx, false);
    sync();
  }

  @Benchmark
  public void concat4(Maps m) {
    TensorOps.concatChannels(m.parts, m.cat);
    sync();
  }

  @Benchmark
  public void split4(Maps m) {
    TensorOps.splitChannels(m.dcat, m.dparts, false);
    sync();
  }

  @Benchmark
  public void dropPathForward(Maps m) {
    TensorOps.dropPathForward(m.x, m.mask, m.y, 0.7f);
    sync();
  }

  @Benchmark
  public void add(Maps m) {
    TensorOps.add(m.x, m.dy, m.y);
    sync();
  }

  @Benchmark
  public double dot(Maps m) {
    return ElementwiseOps.dot(m.x, m.dy); // reads the result back: a sync
  }

  /** The classifier head (64 x 256 -> 10), the loss, the optimisers over the whole network, the sampler. */
  @State(Scope.Thread)
  public static class Head {
    final List<Tensor> all = new ArrayList<>();
    Tensor feats, w, b, logits, dlogits, dfeats, dw, db, labels, loss, correct;
    Tensor param, grad, buf, adamM, adamV, alpha, weights, indices;
    long counter;

    Tensor keep(Tensor t) {
      all.add(t);
      return t;
    }

    @Setup(Level.Trial)
    public void setUp() {
      Device d = gpu();
      Random r = new Random(2);
      feats = keep(normal(d, r, BATCH, 256));
      w = keep(normal(d, r, 10, 256));
      b = keep(normal(d, r, 10));
      logits = keep(normal(d, r, BATCH, 10));
      dlogits = keep(Tensor.empty(d, BATCH, 10));
      dfeats = keep(Tensor.empty(d, BATCH, 256));
      dw = keep(Tensor.empty(d, 10, 256));
      db = keep(Tensor.empty(d, 10));
      float[] l = new float[BATCH];
      for (int i = 0; i < BATCH; i++) l[i] = r.nextInt(10);
      labels = keep(Tensor.of(d, l, BATCH));
      loss = keep(Tensor.empty(d, 1));
      correct = keep(Tensor.empty(d, 1));
      param = keep(normal(d, r, PARAMS));
      grad = keep(normal(d, r, PARAMS));
      buf = keep(Tensor.zeros(d, PARAMS));
      adamM = keep(Tensor.zeros(d, PARAMS));
      adamV = keep(Tensor.zeros(d, PARAMS));
      alpha = keep(normal(d, r, 28, 8));
      weights = keep(Tensor.empty(d, 28, 8));
      indices = keep(Tensor.empty(d, 28));
      sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : all) t.close();
    }
  }

  @Benchmark
  public void linearForward(Head h) {
    LinearOps.linearForward(h.feats, h.w, h.b, h.logits);
    sync();
  }

  @Benchmark
  public void linearBackward(Head h) {
    LinearOps.linearBackward(h.feats, h.w, h.dlogits, h.dfeats, h.dw, h.db, false);
    sync();
  }

  @Benchmark
  public void crossEntropyForwardBackward(Head h) {
    LossOps.softmaxCrossEntropy(h.logits, h.labels, h.loss, h.correct, h.dlogits); // no read-back: device time
    sync();
  }

  @Benchmark
  public void sgdStep(Head h) {
    OptimOps.sgdStep(h.param, h.grad, h.buf, 1e-6f, 0.9f, 3e-4f);
    sync();
  }

  @Benchmark
  public void adamStep(Head h) {
    OptimOps.adamStep(h.param, h.grad, h.adamM, h.adamV, 10, 1e-6f, 0.5f, 0.999f, 1e-8f, 1e-3f);
    sync();
  }

  @Benchmark
  public double clipGradNorm(Head h) {
    return OptimOps.clipGradNorm(1e9f, h.grad); // reads the norm back: a sync
  }

  @Benchmark
  public void gumbelSoftmaxArgmax(Head h) {
    SamplingOps.gumbelSoftmaxArgmax(h.alpha, 7, h.counter++, 1f, null, h.weights, h.indices);
    sync();
  }
}
