package dev.pvll.supernet;

import dev.pvll.kernels.BatchShard;
import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.CollectivesConfig;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.LaunchEnvironment;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.testing.Seeds;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

/**
 * What each rank runs under {@code mpirun -np 2} in DataParallelStepTest (a main, not a test):
 * the data-parallel step engine on its shard of every batch against a single-process engine on
 * the whole batches, both in this JVM from the same seed. Prints "rank R: ..." lines: each step's
 * loss both ways, the largest differences of the weights, momentum and BN statistics, the
 * validation of an uneven last batch with batch statistics and of a batch of one (an empty shard
 * on rank 1) with running statistics, GDAS's edge gradients, and "rank R: PASS" when every figure
 * is within float tolerance. An argument names the device (default cpu): on a GPU the collectives
 * are NCCL's, enqueued on the step's stream (benchmarks/device/nccl-check.sh runs it there).
 */
public final class DataParallelStepWorker {
  private DataParallelStepWorker() {}

  static final double TOLERANCE = 2e-5;

  private static Device device = Device.cpu();

  public static void main(String[] args) {
    int rank = -1;
    if (args.length > 0) device = Device.resolve(args[0]);
    try (Collectives c = Collectives.open(LaunchEnvironment.detect(), device, new CollectivesConfig(Duration.ofSeconds(30)))) {
      rank = c.rank();
      say(rank, "collectives: " + c.describe());
      boolean ok = run(c);
      say(rank, ok ? "PASS" : "FAIL");
      System.out.flush();
      c.barrier();
    } catch (Throwable e) {
      say(rank, "FAIL " + e);
      e.printStackTrace(System.out);
      System.out.flush();
      Runtime.getRuntime().halt(1);
    }
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  private static boolean run(Collectives c) {
    long seed = 11;
    int batch = 7; // 4 + 3: unequal shards
    var config = SearchNetworkTest.TINY;
    Random r = new Random(seed);
    boolean ok = true;
    try (SearchNetwork whole = new SearchNetwork(config, device, seed);
        SearchNetwork shard = new SearchNetwork(config, device, seed, c);
        SupernetStep one = new SupernetStep(whole, SgdConfig.DARTS, batch, StepLaunch.of(StepLaunch.Kind.PLAIN), 32);
        // AUTO: resident launches on the CPU, on a GPU the captured graph (with its NCCL calls) where CUDA 12.8+ allows
        SupernetStep dp = new SupernetStep(shard, SgdConfig.DARTS, batch, device.isCpu() ? StepLaunch.of(StepLaunch.Kind.RESIDENT)
            : StepLaunch.AUTO, 32)) {
      say(c.rank(), "sharded step: " + (dp.usesGraphs() ? "captured CUDA graph" : "launches") + " on " + device);
      // a small learning rate: at 0.1 this tiny network (batches of 7, 2x2 maps in its last cells) amplifies
      // the rounding differences of the sharded sums tenfold per step, as it would any change of summation order
      one.beginTraining(1e-3f);
      dp.beginTraining(1e-3f);
      double worstLoss = 0;
      for (int a = 0; a < 3; a++) {
        SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, config.edges(), a == 0);
        one.setArchitecture(arch);
        dp.setArchitecture(arch);
        for (int s = 0; s < 4; s++) {
          int n = s == 3 ? 5 : batch; // a smaller batch too: its shards are 3 + 2, outside the staged buffers
          try (Scope scope = Scope.open()) {
            float[] x = Seeds.normal(r, n * 3 * 8 * 8);
            float[] y = new float[n];
            for (int i = 0; i < n; i++) y[i] = r.nextInt(config.classes());
            one.trainStep(Tensor.of(device, x, n, 3, 8, 8), Tensor.of(device, y, n));
            BatchShard mine = BatchShard.of(n, c.rank(), c.size());
            dp.trainStep(slice(x, mine, 3 * 8 * 8, mine.size(), 3, 8, 8), slice(y, mine, 1, mine.size()), n);
            StepResult p = one.lastTrainingStep(), q = dp.lastTrainingStep();
            double d = Math.abs(p.loss() - q.loss());
            worstLoss = Math.max(worstLoss, d);
            say(c.rank(), String.format("step %d.%d of %d (mine %d): loss %.7f whole, %.7f sharded, correct %d / %d", a, s, n,
                mine.size(), p.loss(), q.loss(), p.correct(), q.correct()));
            ok &= d <= TOLERANCE * (1 + Math.abs(p.loss())) && p.correct() == q.correct() && q.count() == n;
            if (a == 0 && s == 0) {
              // the first step's gradients, summed across the ranks and clipped, before any weight differs
              ok &= compare(c.rank(), "first step's gradients", whole.parameters().grads().toArray(), shard.parameters().grads().toArray());
            }
          }
        }
      }
      SupernetStep.Totals t1 = one.finishTraining(), t2 = dp.finishTraining();
      ok &= Math.abs(t1.meanLoss() - t2.meanLoss()) <= TOLERANCE * 3 && t1.correct() == t2.correct() && t1.images() == t2.images();
      say(c.rank(), "epoch totals " + t1 + " whole, " + t2 + " sharded");
      ok &= compare(c.rank(), "parameters", whole.parameters().values().toArray(), shard.parameters().values().toArray());
      ok &= compare(c.rank(), "momentum", whole.parameters().momentum().toArray(), shard.parameters().momentum().toArray());
      ok &= compare(c.rank(), "BN running statistics", whole.buffers().values().toArray(), shard.buffers().values().toArray());

      // validation: an uneven last batch with batch statistics, and a batch of one (rank 1 holds nothing) with running ones
      for (Mode mode : new Mode[] {Mode.EVAL_BATCH_STATS, Mode.EVAL}) {
        one.beginValidation();
        dp.beginValidation();
        for (int n : mode == Mode.EVAL ? new int[] {batch, 1} : new int[] {batch, 3}) {
          try (Scope scope = Scope.open()) {
            float[] x = Seeds.normal(r, n * 3 * 8 * 8);
            float[] y = new float[n];
            for (int i = 0; i < n; i++) y[i] = r.nextInt(config.classes());
            one.evaluate(Tensor.of(device, x, n, 3, 8, 8), Tensor.of(device, y, n), mode);
            BatchShard mine = BatchShard.of(n, c.rank(), c.size());
            dp.evaluate(slice(x, mine, 3 * 8 * 8, mine.size(), 3, 8, 8), slice(y, mine, 1, mine.size()), mode, n);
          }
        }
        SupernetStep.Totals v1 = one.finishValidation(), v2 = dp.finishValidation();
        say(c.rank(), "validation " + mode + ": " + v1 + " whole, " + v2 + " sharded");
        ok &= Math.abs(v1.meanLoss() - v2.meanLoss()) <= TOLERANCE * 3 && v1.correct() == v2.correct() && v1.images() == v2.images();
      }

      // GDAS's straight-through edge gradients of a full batch
      try (Scope scope = Scope.open()) {
        float[] x = Seeds.normal(r, batch * 3 * 8 * 8);
        float[] y = new float[batch];
        for (int i = 0; i < batch; i++) y[i] = r.nextInt(config.classes());
        double[][] g1 = new double[2][config.edges()], g2 = new double[2][config.edges()];
        StepResult e1 = one.edgeGradients(Tensor.of(device, x, batch, 3, 8, 8), Tensor.of(device, y, batch), g1);
        BatchShard mine = BatchShard.of(batch, c.rank(), c.size());
        StepResult e2 = dp.edgeGradients(slice(x, mine, 3 * 8 * 8, mine.size(), 3, 8, 8), slice(y, mine, 1, mine.size()), g2);
        double worst = 0, scale = 0;
        for (int k = 0; k < 2; k++) {
          for (int e = 0; e < config.edges(); e++) {
            worst = Math.max(worst, Math.abs(g1[k][e] - g2[k][e]));
            scale = Math.max(scale, Math.abs(g1[k][e]));
          }
        }
        say(c.rank(), String.format("edge gradients: largest difference %.3g of largest %.3g; loss %.7f whole, %.7f sharded", worst, scale,
            e1.loss(), e2.loss()));
        ok &= worst <= TOLERANCE * (1 + scale) && Math.abs(e1.loss() - e2.loss()) <= TOLERANCE * 3 && e2.count() == batch;
      }
      say(c.rank(), String.format("largest step loss difference %.3g", worstLoss));
    }
    return ok;
  }

  private static Tensor slice(float[] all, BatchShard s, int per, int... shape) {
    return Tensor.of(device, Arrays.copyOfRange(all, s.start() * per, (s.start() + s.size()) * per), shape);
  }

  private static boolean compare(int rank, String what, float[] a, float[] b) {
    double worst = 0, scale = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    say(rank, String.format("%s: largest difference %.3g (largest value %.3g, %d values)", what, worst, scale, a.length));
    return worst <= TOLERANCE * (1 + scale);
  }

  private static void say(int rank, String line) {
    System.out.println("rank " + rank + ": " + line);
  }
}
