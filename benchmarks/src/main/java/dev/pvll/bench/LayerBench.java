package dev.pvll.bench;

import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.LinearOps;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.NormOps;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.PoolOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import dev.pvll.testing.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
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
 * The non-convolution layer ops, ours against libtorch (2 threads) in the same run, at the
 * search shapes (batch 64: C=16 32x32, C=32 16x16, C=64 8x8; Fashion-MNIST 28/14/7). libtorch
 * is called at its kernel entry points (max_pool2d_with_indices_backward, avg_pool2d_backward,
 * native_batch_norm_backward, ...) so neither side pays autograd. Each libtorch call runs in a
 * PointerScope that frees its outputs at once.
 *
 * <pre>
 * MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456 \
 *   java -jar benchmarks/target/benchmarks.jar LayerBench -f 1 -wi 3 -i 5 -w 1 -r 1
 * </pre>
 *
 * {@code -p threads=1} runs both sides on one thread: on cores shared with other work that is
 * the comparison of the kernels themselves (see benchmarks/RESULTS-layers.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LayerBench {
  static final int BATCH = 64;

  static int[] parse(String shape) {
    String[] parts = shape.split("x");
    int[] s = new int[parts.length];
    for (int i = 0; i < s.length; i++) s[i] = Integer.parseInt(parts[i]);
    return s;
  }

  static long[] longs(int... s) {
    long[] l = new long[s.length];
    for (int i = 0; i < s.length; i++) l[i] = s[i];
    return l;
  }

  static float[] normal(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  static org.bytedeco.pytorch.Tensor torchOf(float[] data, int... shape) {
    FloatPointer p = new FloatPointer(data);
    org.bytedeco.pytorch.Tensor t = torch.from_blob(p, longs(shape)).clone();
    p.close();
    return t;
  }

  /** Sets the thread count of libtorch and of the pvll kernels. */
  static void threads(int n) {
    Torch.setThreads(n); // loads libtorch safely on an empty JavaCPP cache
    CpuInfo.setThreads(n);
  }

  static int count(int... s) {
    int n = 1;
    for (int d : s) n *= d;
    return n;
  }

  /** A feature map shape, C x H x W at batch 64, for batch norm. */
  @State(Scope.Thread)
  public static class Maps {
    /** Threads of both sides (libtorch intra-op and pvll); 2 = the machine. */
    @Param({"2"})
    public int threads;

    @Param({"16x32x32", "32x16x16", "64x8x8", "16x28x28", "32x14x14", "64x7x7"})
    public String shape;

    int[] s;
    Tensor x, y, dy, dx, mean, invstd, rm, rv;
    org.bytedeco.pytorch.Tensor tx, tdy, trm, trv, tmean, tinvstd;
    BoolPointer dxOnly;

    @Setup(Level.Trial)
    public void setUp() {
      threads(threads);
      int[] chw = parse(shape);
      s = new int[] {BATCH, chw[0], chw[1], chw[2]};
      Random r = new Random(1);
      float[] xd = normal(r, count(s)), dyd = normal(r, count(s));
      int c = s[1];
      x = Tensor.of(Device.cpu(), xd, s);
      dy = Tensor.of(Device.cpu(), dyd, s);
      y = Tensor.empty(Device.cpu(), s);
      dx = Tensor.empty(Device.cpu(), s);
      mean = Tensor.empty(Device.cpu(), c);
      invstd = Tensor.empty(Device.cpu(), c);
      rm = Tensor.zeros(Device.cpu(), c);
      rv = Tensor.full(Device.cpu(), 1f, c);
      NormOps.batchNormTrainForward(x, null, null, y, mean, invstd, null, null, 0.1f, 1e-5f);
      tx = torchOf(xd, s);
      tdy = torchOf(dyd, s);
      trm = torch.zeros(c);
      trv = torch.ones(c);
      var saved = torch.native_batch_norm(tx, new TensorOptional(), new TensorOptional(), new TensorOptional(trm),
          new TensorOptional(trv), true, 0.1, 1e-5);
      // Copies: the tensors that get1()/get2() return live inside the tuple, freed with it.
      tmean = saved.get1().clone();
      tinvstd = saved.get2().clone();
      dxOnly = new BoolPointer(3);
      dxOnly.put(0, true).put(1, false).put(2, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {x, y, dy, dx, mean, invstd, rm, rv}) t.close();
    }
  }

  /** A feature map shape and a stride for the 3x3 pools. */
  @State(Scope.Thread)
  public static class Pools {
    /** Threads of both sides (libtorch intra-op and pvll); 2 = the machine. */
    @Param({"2"})
    public int threads;

    @Param({"16x32x32", "32x16x16", "64x8x8", "16x28x28", "32x14x14", "64x7x7"})
    public String shape;

    @Param({"1", "2"})
    public int stride;

    int[] s, so;
    Tensor x, dx, py, pdy;
    org.bytedeco.pytorch.Tensor tx, tpdy, tindices;
    final long[] k3 = {3, 3}, pad1 = {1, 1}, dil1 = {1, 1};
    long[] st;

    @Setup(Level.Trial)
    public void setUp() {
      threads(threads);
      int[] chw = parse(shape);
      s = new int[] {BATCH, chw[0], chw[1], chw[2]};
      so = new int[] {BATCH, chw[0], (chw[1] - 1) / stride + 1, (chw[2] - 1) / stride + 1};
      st = new long[] {stride, stride};
      Random r = new Random(1);
      float[] xd = normal(r, count(s)), pdyd = normal(r, count(so));
      x = Tensor.of(Device.cpu(), xd, s);
      dx = Tensor.empty(Device.cpu(), s);
      py = Tensor.empty(Device.cpu(), so);
      pdy = Tensor.of(Device.cpu(), pdyd, so);
      tx = torchOf(xd, s);
      tpdy = torchOf(pdyd, so);
      tindices = torch.max_pool2d_with_indices(tx, k3, st, pad1, dil1, false).get1().clone();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {x, dx, py, pdy}) t.close();
    }
  }

  /** A feature map shape for the cheap data-movement ops and the global pool. */
  @State(Scope.Thread)
  public static class Blocks {
    /** Threads of both sides (libtorch intra-op and pvll); 2 = the machine. */
    @Param({"2"})
    public int threads;

    @Param({"16x32x32", "64x7x7"})
    public String shape;

    int[] s, s4;
    Tensor x, y, pooled, dpooled, dx, mask, cat;
    List<Tensor> parts = new ArrayList<>(), grads = new ArrayList<>();
    org.bytedeco.pytorch.Tensor tx, ty, tdpooled, tmask, tcat;
    TensorVector tparts;
    float keep = 0.8f;

    @Setup(Level.Trial)
    public void setUp() {
      threads(threads);
      int[] chw = parse(shape);
      s = new int[] {BATCH, chw[0], chw[1], chw[2]};
      s4 = new int[] {BATCH, 4 * chw[0], chw[1], chw[2]};
      Random r = new Random(2);
      float[] xd = normal(r, count(s)), yd = normal(r, count(s)), dpd = normal(r, BATCH * chw[0]);
      float[] md = new float[BATCH];
      for (int i = 0; i < BATCH; i++) md[i] = r.nextFloat() < keep ? 1 : 0;
      x = Tensor.of(Device.cpu(), xd, s);
      y = Tensor.of(Device.cpu(), yd, s);
      dx = Tensor.empty(Device.cpu(), s);
      pooled = Tensor.empty(Device.cpu(), BATCH, chw[0]);
      dpooled = Tensor.of(Device.cpu(), dpd, BATCH, chw[0]);
      mask = Tensor.of(Device.cpu(), md, BATCH);
      cat = Tensor.empty(Device.cpu(), s4);
      org.bytedeco.pytorch.Tensor[] tp = new org.bytedeco.pytorch.Tensor[4];
      for (int i = 0; i < 4; i++) {
        float[] d = normal(r, count(s));
        parts.add(Tensor.of(Device.cpu(), d, s));
        grads.add(Tensor.empty(Device.cpu(), s));
        tp[i] = torchOf(d, s);
      }
      tparts = new TensorVector(tp);
      tx = torchOf(xd, s);
      ty = torchOf(yd, s);
      tdpooled = torchOf(dpd, BATCH, chw[0], 1, 1);
      tmask = torchOf(md, BATCH, 1, 1, 1);
      tcat = torch.cat(tparts, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {x, y, pooled, dpooled, dx, mask, cat}) t.close();
      parts.forEach(Tensor::close);
      grads.forEach(Tensor::close);
    }
  }

  /** Linear head, loss and optimisers at the search network's sizes. */
  @State(Scope.Thread)
  public static class Dense {
    /** Threads of both sides (libtorch intra-op and pvll); 2 = the machine. */
    @Param({"2"})
    public int threads;

    static final int IN = 256, OUT = 10, PARAMS = 2_000_000, PIECES = 100;
    Tensor x, w, b, y, dy, dx, dw, db, logits, labels, dlogits, lossOut, correctOut;
    Tensor param, grad, buf, m, v;
    List<Tensor> gradPieces = new ArrayList<>();
    org.bytedeco.pytorch.Tensor tx, tw, tb, tdy, tlogits, tlabels, tparamSgd, tparamAdam;
    TensorVector tgradPieces;
    SGD sgd;
    Adam adam;
    int step;

    @Setup(Level.Trial)
    public void setUp() {
      threads(threads);
      Random r = new Random(3);
      float[] xd = normal(r, BATCH * IN), wd = normal(r, OUT * IN), bd = normal(r, OUT), dyd = normal(r, BATCH * OUT);
      float[] ld = normal(r, BATCH * OUT), lab = new float[BATCH];
      for (int i = 0; i < BATCH; i++) lab[i] = r.nextInt(OUT);
      x = Tensor.of(Device.cpu(), xd, BATCH, IN);
      w = Tensor.of(Device.cpu(), wd, OUT, IN);
      b = Tensor.of(Device.cpu(), bd, OUT);
      y = Tensor.empty(Device.cpu(), BATCH, OUT);
      dy = Tensor.of(Device.cpu(), dyd, BATCH, OUT);
      dx = Tensor.empty(Device.cpu(), BATCH, IN);
      dw = Tensor.empty(Device.cpu(), OUT, IN);
      db = Tensor.empty(Device.cpu(), OUT);
      logits = Tensor.of(Device.cpu(), ld, BATCH, OUT);
      labels = Tensor.of(Device.cpu(), lab, BATCH);
      dlogits = Tensor.empty(Device.cpu(), BATCH, OUT);
      lossOut = Tensor.empty(Device.cpu(), 1);
      correctOut = Tensor.empty(Device.cpu(), 1);
      tx = torchOf(xd, BATCH, IN);
      tw = torchOf(wd, OUT, IN);
      tb = torchOf(bd, OUT);
      tdy = torchOf(dyd, BATCH, OUT);
      tlogits = torchOf(ld, BATCH, OUT);
      tlogits.requires_grad_(true);
      tlabels = torchOf(lab, BATCH).toType(torch.ScalarType.Long);

      float[] pd = normal(r, PARAMS), gd = normal(r, PARAMS);
      for (int i = 0; i < PARAMS; i++) gd[i] *= 1e-3f;
      param = Tensor.of(Device.cpu(), pd, PARAMS);
      grad = Tensor.of(Device.cpu(), gd, PARAMS);
      buf = Tensor.zeros(Device.cpu(), PARAMS);
      m = Tensor.zeros(Device.cpu(), PARAMS);
      v = Tensor.zeros(Device.cpu(), PARAMS);
      org.bytedeco.pytorch.Tensor[] pieces = new org.bytedeco.pytorch.Tensor[PIECES];
      int per = PARAMS / PIECES;
      for (int i = 0; i < PIECES; i++) {
        gradPieces.add(grad.view((long) i * per, per));
        float[] piece = new float[per];
        System.arraycopy(gd, i * per, piece, 0, per);
        pieces[i] = torchOf(piece, per);
      }
      tgradPieces = new TensorVector(pieces);
      tparamSgd = leafWithGrad(pd, gd);
      tparamAdam = leafWithGrad(pd, gd);
      SGDOptions so = new SGDOptions(0.025);
      so.momentum().put(0.9);
      so.weight_decay().put(3e-4);
      sgd = new SGD(new TensorVector(tparamSgd), so);
      AdamOptions ao = new AdamOptions(3e-4);
      ao.weight_decay().put(1e-3);
      adam = new Adam(new TensorVector(tparamAdam), ao);
    }

    static org.bytedeco.pytorch.Tensor leafWithGrad(float[] p, float[] g) {
      org.bytedeco.pytorch.Tensor t = torchOf(p, p.length);
      t.requires_grad_(true);
      t.mul(torchOf(g, g.length)).sum().backward();
      return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {x, w, b, y, dy, dx, dw, db, logits, labels, dlogits, lossOut, correctOut, param,
          grad, buf, m, v}) {
        t.close();
      }
    }
  }

  // ---------------------------------------------------------------- batch norm (affine = false, as in the cells)

  @Benchmark
  public void batchNormTrainForwardOurs(Maps st) {
    NormOps.batchNormTrainForward(st.x, null, null, st.y, st.mean, st.invstd, st.rm, st.rv, 0.1f, 1e-5f);
  }

  @Benchmark
  public void batchNormTrainForwardLibtorch(Maps st) {
    try (PointerScope scope = new PointerScope()) {
      torch.batch_norm(st.tx, new TensorOptional(), new TensorOptional(), new TensorOptional(st.trm),
          new TensorOptional(st.trv), true, 0.1, 1e-5, false);
    }
  }

  @Benchmark
  public void batchNormBackwardOurs(Maps st) {
    NormOps.batchNormBackward(st.x, st.dy, st.mean, st.invstd, null, st.dx, null, null, false);
  }

  @Benchmark
  public void batchNormBackwardLibtorch(Maps st) {
    try (PointerScope scope = new PointerScope()) {
      torch.native_batch_norm_backward(st.tdy, st.tx, new TensorOptional(), new TensorOptional(st.trm),
          new TensorOptional(st.trv), new TensorOptional(st.tmean), new TensorOptional(st.tinvstd), true, 1e-5,
          st.dxOnly);
    }
  }

  @Benchmark
  public void batchNormInferenceOurs(Maps st) {
    NormOps.batchNormInferenceForward(st.x, null, null, st.rm, st.rv, st.y, 1e-5f);
  }

  @Benchmark
  public void batchNormInferenceLibtorch(Maps st) {
    try (PointerScope scope = new PointerScope()) {
      torch.batch_norm(st.tx, new TensorOptional(), new TensorOptional(), new TensorOptional(st.trm),
          new TensorOptional(st.trv), false, 0.1, 1e-5, false);
    }
  }

  // ---------------------------------------------------------------- 3x3 pools

  @Benchmark
  public void maxPoolForwardOurs(Pools st) {
    PoolOps.maxPool3x3Forward(st.x, st.py, st.stride);
  }

  @Benchmark
  public void maxPoolForwardLibtorch(Pools st) {
    try (PointerScope scope = new PointerScope()) {
      torch.max_pool2d(st.tx, st.k3, st.st, st.pad1, st.dil1, false);
    }
  }

  /** The forward that autograd runs in training: it also returns the argmax indices. */
  @Benchmark
  public void maxPoolForwardWithIndicesLibtorch(Pools st) {
    try (PointerScope scope = new PointerScope()) {
      torch.max_pool2d_with_indices(st.tx, st.k3, st.st, st.pad1, st.dil1, false);
    }
  }

  @Benchmark
  public void maxPoolBackwardOurs(Pools st) {
    PoolOps.maxPool3x3Backward(st.x, st.pdy, st.dx, st.stride, false);
  }

  @Benchmark
  public void maxPoolBackwardLibtorch(Pools st) {
    try (PointerScope scope = new PointerScope()) {
      torch.max_pool2d_with_indices_backward(st.tpdy, st.tx, st.k3, st.st, st.pad1, st.dil1, false, st.tindices);
    }
  }

  @Benchmark
  public void avgPoolForwardOurs(Pools st) {
    PoolOps.avgPool3x3Forward(st.x, st.py, st.stride);
  }

  @Benchmark
  public void avgPoolForwardLibtorch(Pools st) {
    try (PointerScope scope = new PointerScope()) {
      torch.avg_pool2d(st.tx, st.k3, st.st, st.pad1, false, false, new LongOptional());
    }
  }

  @Benchmark
  public void avgPoolBackwardOurs(Pools st) {
    PoolOps.avgPool3x3Backward(st.pdy, st.dx, st.stride, false);
  }

  @Benchmark
  public void avgPoolBackwardLibtorch(Pools st) {
    try (PointerScope scope = new PointerScope()) {
      torch.avg_pool2d_backward(st.tpdy, st.tx, st.k3, st.st, st.pad1, false, false, new LongOptional());
    }
  }

  // ---------------------------------------------------------------- global pool, concat/split, drop-path, add

  @Benchmark
  public void globalAvgPoolForwardOurs(Blocks st) {
    PoolOps.globalAvgPoolForward(st.x, st.pooled);
  }

  @Benchmark
  public void globalAvgPoolForwardLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      torch.adaptive_avg_pool2d(st.tx, 1, 1);
    }
  }

  @Benchmark
  public void globalAvgPoolBackwardOurs(Blocks st) {
    PoolOps.globalAvgPoolBackward(st.dpooled, st.dx, false);
  }

  /** What autograd does for the mean over H x W: divide, expand, and materialise. */
  @Benchmark
  public void globalAvgPoolBackwardLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      st.tdpooled.div(new Scalar(st.s[2] * st.s[3])).expand(LayerBench.longs(st.s)).contiguous();
    }
  }

  @Benchmark
  public void concatOurs(Blocks st) {
    TensorOps.concatChannels(st.parts, st.cat);
  }

  @Benchmark
  public void concatLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      torch.cat(st.tparts, 1);
    }
  }

  @Benchmark
  public void splitOurs(Blocks st) {
    TensorOps.splitChannels(st.cat, st.grads, false);
  }

  /** The four channel slices of the concat's gradient, materialised. */
  @Benchmark
  public void splitLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      int c = st.s[1];
      for (int i = 0; i < 4; i++) st.tcat.narrow(1, (long) i * c, c).contiguous();
    }
  }

  @Benchmark
  public void dropPathForwardOurs(Blocks st) {
    TensorOps.dropPathForward(st.x, st.mask, st.dx, st.keep);
  }

  /** DARTS' drop_path: x.div(keep_prob).mul(mask). */
  @Benchmark
  public void dropPathForwardLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      st.tx.div(new Scalar(st.keep)).mul(st.tmask);
    }
  }

  @Benchmark
  public void addOurs(Blocks st) {
    TensorOps.add(st.x, st.y, st.dx);
  }

  @Benchmark
  public void addLibtorch(Blocks st) {
    try (PointerScope scope = new PointerScope()) {
      torch.add(st.tx, st.ty);
    }
  }

  /** One-element tensors: what an op costs besides its work (argument checks, JNI, dispatch). */
  @State(Scope.Thread)
  public static class Tiny {
    Tensor a, b, y;
    org.bytedeco.pytorch.Tensor ta, tb;

    @Setup(Level.Trial)
    public void setUp() {
      threads(2);
      a = Tensor.of(Device.cpu(), new float[] {1f}, 1);
      b = Tensor.of(Device.cpu(), new float[] {2f}, 1);
      y = Tensor.empty(Device.cpu(), 1);
      ta = torchOf(new float[] {1f}, 1);
      tb = torchOf(new float[] {2f}, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (Tensor t : new Tensor[] {a, b, y}) t.close();
    }
  }

  /** The fixed cost of one call: add of one element. */
  @Benchmark
  public void callOverheadOurs(Tiny st) {
    TensorOps.add(st.a, st.b, st.y);
  }

  @Benchmark
  public void callOverheadLibtorch(Tiny st) {
    try (PointerScope scope = new PointerScope()) {
      torch.add(st.ta, st.tb);
    }
  }

  // ---------------------------------------------------------------- linear, loss, optimisers

  @Benchmark
  public void linearForwardOurs(Dense st) {
    LinearOps.linearForward(st.x, st.w, st.b, st.y);
  }

  @Benchmark
  public void linearForwardLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      torch.linear(st.tx, st.tw, st.tb);
    }
  }

  @Benchmark
  public void linearBackwardOurs(Dense st) {
    LinearOps.linearBackward(st.x, st.w, st.dy, st.dx, st.dw, st.db, false);
  }

  /** What autograd runs for linear: dx = dy w, dw = dy^T x, db = sum over rows of dy. */
  @Benchmark
  public void linearBackwardLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      st.tdy.mm(st.tw);
      st.tdy.t().mm(st.tx);
      st.tdy.sum(0);
    }
  }

  @Benchmark
  public void crossEntropyOurs(Dense st) {
    LossOps.softmaxCrossEntropy(st.logits, st.labels, st.lossOut, st.correctOut, st.dlogits);
  }

  /**
   * cross_entropy forward and backward through autograd (there is no fused kernel entry); the
   * gradient accumulates into logits.grad, one small add more than ours.
   */
  @Benchmark
  public void crossEntropyLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      torch.cross_entropy(st.tlogits, st.tlabels).backward();
    }
  }

  @Benchmark
  public void sgdStepOurs(Dense st) {
    OptimOps.sgdStep(st.param, st.grad, st.buf, 0.025f, 0.9f, 3e-4f);
  }

  @Benchmark
  public void sgdStepLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      st.sgd.step();
    }
  }

  @Benchmark
  public void adamStepOurs(Dense st) {
    OptimOps.adamStep(st.param, st.grad, st.m, st.v, ++st.step, 3e-4f, 0.9f, 0.999f, 1e-8f, 1e-3f);
  }

  @Benchmark
  public void adamStepLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      st.adam.step();
    }
  }

  @Benchmark
  public double gradNormOurs(Dense st) {
    return OptimOps.gradNorm(st.gradPieces);
  }

  /** clip_grad_norm_'s norm: the norm of the per-tensor norms. */
  @Benchmark
  public double gradNormLibtorch(Dense st) {
    try (PointerScope scope = new PointerScope()) {
      org.bytedeco.pytorch.Tensor[] norms = new org.bytedeco.pytorch.Tensor[(int) st.tgradPieces.size()];
      for (int i = 0; i < norms.length; i++) norms[i] = torch.norm(st.tgradPieces.get(i));
      return torch.norm(torch.stack(new TensorVector(norms))).item_double();
    }
  }
}
