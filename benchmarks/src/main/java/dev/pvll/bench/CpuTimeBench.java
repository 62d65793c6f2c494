package dev.pvll.bench;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.PoolOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import dev.pvll.testing.Torch;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Ours against libtorch, op by op, in one JVM without JMH: the best of 25 rounds of the calling
 * thread's CPU time per call (1 thread: {@code java -cp benchmarks.jar dev.pvll.bench.CpuTimeBench 1})
 * or of wall time (2 threads). On a machine whose 2 cores other jobs share (load 5 to 11), JMH's
 * wall-clock averages swing 3x to 100x from run to run; CPU time of one thread on both sides stays
 * within a few percent and is what a change's A/B can rest on there. Optional second argument:
 * conv, pool or small (the cases of issue #3: the auxiliary head's convs and the stem, the 3x3
 * stride-2 pools on the small maps, add / concat / global-average-pool backward and the fixed cost
 * of a call).
 *
 * <pre>OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 \
 *   MALLOC_TOP_PAD_=268435456 java -cp benchmarks/target/benchmarks.jar dev.pvll.bench.CpuTimeBench 1</pre>
 */
public final class CpuTimeBench {
  private CpuTimeBench() {}

  static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
  static boolean cpuTime;

  /** Microseconds per call of r: the best of 25 rounds of n calls, after 20 warm-up calls. */
  static double time(Runnable r, int n) {
    for (int i = 0; i < 20; i++) r.run();
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 25; round++) {
      long t0 = cpuTime ? MX.getCurrentThreadCpuTime() : System.nanoTime();
      for (int i = 0; i < n; i++) r.run();
      long t1 = cpuTime ? MX.getCurrentThreadCpuTime() : System.nanoTime();
      best = Math.min(best, (t1 - t0) / 1e3 / n);
    }
    return best;
  }

  /** Runs a libtorch call in a scope that frees its outputs at once, as the JMH benchmarks do. */
  static Runnable scoped(Runnable call) {
    return () -> {
      try (PointerScope scope = new PointerScope()) {
        call.run();
      }
    };
  }

  static void row(String name, Runnable ours, Runnable libtorch, int n) {
    double o = time(ours, n), t = time(scoped(libtorch), n);
    System.out.printf("%-40s ours %9.3f us  libtorch %9.3f us  libtorch/ours %6.2f%n", name, o, t, t / o);
  }

  public static void main(String[] args) {
    int threads = Integer.parseInt(args[0]);
    String only = args.length > 1 ? args[1] : "";
    cpuTime = threads == 1;
    Torch.setThreads(threads); // loads libtorch safely on an empty JavaCPP cache
    CpuInfo.setThreads(threads);
    Random r = new Random(1);
    Device d = Device.cpu();
    if (only.isEmpty() || only.equals("conv")) convs(r, d);
    if (only.isEmpty() || only.equals("pool")) pools(r, d);
    if (only.isEmpty() || only.equals("small")) smallOps(r, d);
  }

  /** The Fashion-MNIST stem and the auxiliary head's two convs, forward, batch 64. */
  static void convs(Random r, Device d) {
    int[][] cases = {{1, 28, 28, 48, 3, 1}, {256, 2, 2, 128, 1, 0}, {128, 2, 2, 768, 2, 0}};
    for (int[] c : cases) {
      int cin = c[0], h = c[1], w = c[2], cout = c[3], k = c[4], p = c[5];
      int oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
      float[] xs = LayerBench.normal(r, 64 * cin * h * w), ws = LayerBench.normal(r, cout * cin * k * k), bs = LayerBench.normal(r, cout);
      Tensor x = Tensor.of(d, xs, 64, cin, h, w), weight = Tensor.of(d, ws, cout, cin, k, k);
      Tensor bias = Tensor.of(d, bs, cout), y = Tensor.zeros(d, 64, cout, oh, ow);
      var tx = LayerBench.torchOf(xs, 64, cin, h, w);
      var tw = LayerBench.torchOf(ws, cout, cin, k, k);
      var tb = LayerBench.torchOf(bs, cout);
      long[] one = {1, 1}, pad = {p, p};
      row(String.format("conv%dx%d p%d %dx%dx%d->%d fwd", k, k, p, cin, h, w, cout),
          () -> ConvOps.conv2dForward(x, weight, bias, y, 1, p, 1),
          () -> torch.conv2d(tx, tw, new TensorOptional(tb), one, pad, one, 1), 10);
    }
  }

  /** 3x3 max and average pools, stride 2, padding 1, forward and backward, batch 64. */
  static void pools(Random r, Device d) {
    long[] k3 = {3, 3}, s2 = {2, 2}, p1 = {1, 1}, d1 = {1, 1};
    for (String shape : new String[] {"64x8x8", "64x7x7", "32x16x16", "32x14x14"}) {
      int[] chw = LayerBench.parse(shape);
      int c = chw[0], h = chw[1], w = chw[2], ho = (h - 1) / 2 + 1, wo = (w - 1) / 2 + 1;
      float[] xs = LayerBench.normal(r, 64 * c * h * w), gs = LayerBench.normal(r, 64 * c * ho * wo);
      Tensor x = Tensor.of(d, xs, 64, c, h, w), dx = Tensor.empty(d, 64, c, h, w);
      Tensor y = Tensor.empty(d, 64, c, ho, wo), dy = Tensor.of(d, gs, 64, c, ho, wo);
      var tx = LayerBench.torchOf(xs, 64, c, h, w);
      var tdy = LayerBench.torchOf(gs, 64, c, ho, wo);
      var indices = torch.max_pool2d_with_indices(tx, k3, s2, p1, d1, false).get1().clone();
      row("maxpool fwd " + shape, () -> PoolOps.maxPool3x3Forward(x, y, 2),
          () -> torch.max_pool2d(tx, k3, s2, p1, d1, false), 20);
      row("maxpool fwd (libtorch with indices) " + shape, () -> PoolOps.maxPool3x3Forward(x, y, 2),
          () -> torch.max_pool2d_with_indices(tx, k3, s2, p1, d1, false), 20);
      row("maxpool bwd " + shape, () -> PoolOps.maxPool3x3Backward(x, dy, dx, 2, false),
          () -> torch.max_pool2d_with_indices_backward(tdy, tx, k3, s2, p1, d1, false, indices), 20);
      row("avgpool fwd " + shape, () -> PoolOps.avgPool3x3Forward(x, y, 2),
          () -> torch.avg_pool2d(tx, k3, s2, p1, false, false, new LongOptional()), 20);
      row("avgpool bwd " + shape, () -> PoolOps.avgPool3x3Backward(dy, dx, 2, false),
          () -> torch.avg_pool2d_backward(tdy, tx, k3, s2, p1, false, false, new LongOptional()), 20);
    }
  }

  /** add, channel concat of 4, global average pool backward, and a one-element add (the fixed cost). */
  static void smallOps(Random r, Device d) {
    for (String shape : new String[] {"16x32x32", "64x7x7"}) {
      int[] chw = LayerBench.parse(shape);
      int c = chw[0], h = chw[1], w = chw[2];
      int[] s = {64, c, h, w};
      int n = LayerBench.count(s);
      float[] xs = LayerBench.normal(r, n), ys = LayerBench.normal(r, n), gs = LayerBench.normal(r, 64 * c);
      Tensor x = Tensor.of(d, xs, s), y = Tensor.of(d, ys, s), out = Tensor.empty(d, s);
      Tensor pooledGrad = Tensor.of(d, gs, 64, c);
      var tx = LayerBench.torchOf(xs, s);
      var ty = LayerBench.torchOf(ys, s);
      var tg = LayerBench.torchOf(gs, 64, c, 1, 1);
      List<Tensor> parts = new ArrayList<>();
      org.bytedeco.pytorch.Tensor[] tparts = new org.bytedeco.pytorch.Tensor[4];
      for (int i = 0; i < 4; i++) {
        float[] part = LayerBench.normal(r, n);
        parts.add(Tensor.of(d, part, s));
        tparts[i] = LayerBench.torchOf(part, s);
      }
      Tensor cat = Tensor.empty(d, 64, 4 * c, h, w);
      TensorVector tcat = new TensorVector(tparts);
      row("add " + shape, () -> TensorOps.add(x, y, out), () -> torch.add(tx, ty), 50);
      row("concat " + shape, () -> TensorOps.concatChannels(parts, cat), () -> torch.cat(tcat, 1), 20);
      row("global avg pool bwd " + shape, () -> PoolOps.globalAvgPoolBackward(pooledGrad, out, false),
          () -> tg.div(new Scalar(h * w)).expand(LayerBench.longs(s)).contiguous(), 50);
    }
    Tensor a = Tensor.of(d, new float[] {1f}, 1), b = Tensor.of(d, new float[] {2f}, 1), y = Tensor.empty(d, 1);
    var ta = LayerBench.torchOf(new float[] {1f}, 1);
    var tb = LayerBench.torchOf(new float[] {2f}, 1);
    row("call overhead (add of 1 element)", () -> TensorOps.add(a, b, y), () -> torch.add(ta, tb), 2000);
  }
}
