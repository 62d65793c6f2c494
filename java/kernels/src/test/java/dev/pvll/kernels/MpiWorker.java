package dev.pvll.kernels;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

/**
 * The program each rank runs under {@code mpirun -np 2} in MpiCollectivesTest (a main, not a
 * test): it prints "rank R: ..." lines that the test reads. Modes:
 * <ul>
 *   <li>{@code collectives}: every operation with known answers, synchronised batch norm on an
 *       uneven split against the whole batch, and the JVM's own SIGSEGV-based null checks and
 *       stack-overflow handling after MPI_Init; ends with "rank R: PASS";
 *   <li>{@code absent}: rank 1 never joins a barrier; rank 0 must fail within the timeout, then
 *       fail at once, then close without waiting;
 *   <li>{@code killed}: both ranks all-reduce in a loop; rank 1 SIGKILLs itself mid-loop; rank 0
 *       must report a clear error within the timeout (when mpirun lets it live).
 * </ul>
 */
public final class MpiWorker {
  private static int rank = -1;

  private MpiWorker() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    double timeoutSeconds = Double.parseDouble(args[1]);
    LaunchEnvironment launch = LaunchEnvironment.detect();
    rank = launch.rank();
    CollectivesConfig config = new CollectivesConfig(Duration.ofMillis((long) (timeoutSeconds * 1000)));
    try {
      switch (mode) {
        case "collectives" -> collectives(launch, config);
        case "absent" -> absent(launch, config);
        case "killed" -> killed(launch, config);
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
    } catch (Throwable e) {
      say("FAIL " + e);
      e.printStackTrace(System.out);
      System.out.flush();
      Runtime.getRuntime().halt(1);
    }
    System.out.flush();
    Runtime.getRuntime().halt(0);  // the launcher learns the outcome from the exit code and the lines
  }

  private static void collectives(LaunchEnvironment launch, CollectivesConfig config) {
    Device cpu = Device.cpu();
    try (Collectives c = Collectives.open(launch, cpu, config); Scope scope = Scope.open()) {
      say("joined: " + c.describe());
      require(c.size() == 2 && c.rank() == launch.rank() && c.localRank() == launch.rank(),
          "rank/size/local rank " + c.rank() + "/" + c.size() + "/" + c.localRank());

      // float tensor: element i of rank r is (r + 1) * (i % 1000); the sum is 3 * (i % 1000), exact
      int n = (1 << 20) + 3;
      float[] values = new float[n];
      for (int i = 0; i < n; i++) values[i] = (rank + 1) * (i % 1000);
      Tensor t = Tensor.of(cpu, values, n);
      c.allReduceSum(t);
      float[] sum = t.toArray();
      for (int i = 0; i < n; i++) require(sum[i] == 3f * (i % 1000), "float sum at " + i + ": " + sum[i]);
      say("all-reduce of " + n + " floats exact");

      double[] host = {rank, 1.0, 0.1 * (rank + 1)};
      c.allReduceSum(host);
      require(host[0] == 1 && host[1] == 2 && host[2] == 0.1 + 0.2, "double[] sum " + Arrays.toString(host));
      try (NativeDoubles d = NativeDoubles.of(cpu, 1e300 * (rank + 1), -rank)) {
        c.allReduceSum(d);
        require(Arrays.equals(d.toArray(), new double[] {3e300, -1}), "NativeDoubles sum " + Arrays.toString(d.toArray()));
      }
      say("all-reduce of doubles exact");

      Tensor b = Tensor.full(cpu, rank == 1 ? 7.5f : -1f, 3, 4);
      c.broadcast(b, 1);
      for (float v : b.toArray()) require(v == 7.5f, "broadcast tensor from rank 1 gave " + v);
      byte[] text = c.broadcast(rank == 0 ? "configuration of rank 0, 39 bytes long".getBytes(StandardCharsets.UTF_8)
          : null, 0);
      require(new String(text, StandardCharsets.UTF_8).equals("configuration of rank 0, 39 bytes long"),
          "broadcast bytes gave '" + new String(text, StandardCharsets.UTF_8) + "'");
      c.barrier();
      say("broadcast and barrier ok");

      syncBatchNorm(c);
      jvmSignalsStillWork();
      say("PASS");
    }
  }

  /** Each rank normalises its shard (3 and 5 of 8 samples) with the batch's statistics. */
  private static void syncBatchNorm(Collectives c) {
    Device cpu = Device.cpu();
    ShardedNorm.Batch batch = ShardedNorm.random(new Random(42), 8, 5, 6, 6);
    ShardedNorm.Result whole = ShardedNorm.whole(cpu, batch);
    int[] mine = ShardedNorm.contiguous(8, 3, 5)[rank];
    int ch = batch.c(), sample = batch.sample();
    int[] shape = {mine.length, 5, 6, 6};
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(cpu, ShardedNorm.gather(batch.x(), mine, sample), shape);
      Tensor gamma = Tensor.of(cpu, batch.gamma(), ch), beta = Tensor.of(cpu, batch.beta(), ch);
      Tensor y = Tensor.empty(cpu, shape), mean = Tensor.empty(cpu, ch), invstd = Tensor.empty(cpu, ch);
      Tensor rm = Tensor.of(cpu, batch.runningMean(), ch), rv = Tensor.of(cpu, batch.runningVar(), ch);
      SyncBatchNorm.trainForward(c, x, gamma, beta, y, mean, invstd, rm, rv, ShardedNorm.MOMENTUM, ShardedNorm.EPS);
      Tensor dx = Tensor.empty(cpu, shape), dgamma = Tensor.empty(cpu, ch), dbeta = Tensor.empty(cpu, ch);
      SyncBatchNorm.backward(c, x, Tensor.of(cpu, ShardedNorm.gather(batch.dy(), mine, sample), shape), mean, invstd,
          gamma, dx, dgamma, dbeta, false);
      c.allReduceSum(dgamma);  // as the gradient all-reduce does for every parameter
      c.allReduceSum(dbeta);
      double worst = 0;
      worst = Math.max(worst, worstError(ShardedNorm.gather(whole.y(), mine, sample), y.toArray(), 1e-5, 1e-5));
      worst = Math.max(worst, worstError(whole.mean(), mean.toArray(), 1e-6, 1e-6));
      worst = Math.max(worst, worstError(whole.invstd(), invstd.toArray(), 1e-5, 1e-5));
      worst = Math.max(worst, worstError(whole.runningVar(), rv.toArray(), 1e-5, 1e-5));
      worst = Math.max(worst, worstError(ShardedNorm.gather(whole.dx(), mine, sample), dx.toArray(), 1e-5, 1e-5));
      double sums = 1e-6 * Math.sqrt(8 * 36);
      worst = Math.max(worst, worstError(whole.dgamma(), dgamma.toArray(), sums, 1e-5));
      worst = Math.max(worst, worstError(whole.dbeta(), dbeta.toArray(), sums, 1e-5));
      require(worst <= 1, "synchronised batch norm differs from the whole batch: worst " + worst + " of the tolerance");
      say(String.format("synchronised batch norm on %d of 8 samples == whole batch (worst %.3f of the tolerance)",
          mine.length, worst));
    }
  }

  /** The JVM uses SIGSEGV for implicit null checks and stack banging: its handlers must have survived MPI_Init. */
  private static void jvmSignalsStillWork() {
    String[] words = {"a", "bb", "ccc"};
    long caught = 0, length = 0;
    for (int i = 0; i < 200_000; i++) length += lengthOf(words[i % 3]);  // JIT-compiled with an implicit null check
    for (int i = 0; i < 10_000; i++) {
      try {
        length += lengthOf(i % 2 == 0 ? null : words[i % 3]);
      } catch (NullPointerException e) {
        caught++;
      }
    }
    require(caught == 5_000, "caught " + caught + " NullPointerExceptions of 5000");
    int depth = 0;
    try {
      depth = recurse(0);
    } catch (StackOverflowError e) {
      depth = -1;
    }
    require(depth == -1, "no StackOverflowError");
    say("the JVM's signal handling survived MPI_Init: " + caught + " NullPointerExceptions and a StackOverflowError caught ("
        + length + ")");
  }

  private static int lengthOf(String s) {
    return s.length();
  }

  private static int recurse(int depth) {
    return recurse(depth + 1) + 1;
  }

  private static void absent(LaunchEnvironment launch, CollectivesConfig config) throws Exception {
    Collectives c = Collectives.open(launch, Device.cpu(), config);
    c.barrier();
    say("joined");
    if (rank == 1) {
      Thread.sleep(30_000);  // never joins; mpirun ends this process when rank 0 exits
      return;
    }
    long start = System.nanoTime();
    try {
      c.barrier();
      say("FAIL the barrier returned without rank 1");
    } catch (KernelException e) {
      say(String.format("TIMEOUT status %d after %.2f s: %s", e.status(), seconds(start), e.getMessage()));
    }
    start = System.nanoTime();
    try (Scope scope = Scope.open()) {
      c.allReduceSum(Tensor.zeros(Device.cpu(), 4));
      say("FAIL an all-reduce worked after the timeout");
    } catch (KernelException e) {
      say(String.format("THEN status %d after %.2f s: %s", e.status(), seconds(start), e.getMessage()));
    }
    start = System.nanoTime();
    c.close();
    say(String.format("CLOSED after %.2f s", seconds(start)));
  }

  private static void killed(LaunchEnvironment launch, CollectivesConfig config) throws Exception {
    Collectives c = Collectives.open(launch, Device.cpu(), config);
    c.barrier();
    say("joined");
    if (rank == 1) {
      long pid = ProcessHandle.current().pid();
      Thread killer = new Thread(() -> {
        try {
          Thread.sleep(500);
          new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        } catch (Exception e) {
          say("FAIL could not kill myself: " + e);
        }
      });
      killer.setDaemon(true);
      killer.start();
    }
    try (Scope scope = Scope.open()) {
      Tensor t = Tensor.full(Device.cpu(), 1f, 1 << 20);
      long rounds = 0, last = System.nanoTime();
      try {
        for (;; rounds++) {
          c.allReduceSum(t);
          last = System.nanoTime();
        }
      } catch (KernelException e) {
        say(String.format("DIED status %d after %d all-reduces, %.2f s after the last one: %s", e.status(), rounds,
            seconds(last), e.getMessage()));
      }
    }
    c.close();
    say("CLOSED");
  }

  private static double worstError(float[] expected, float[] got, double atol, double rtol) {
    require(expected.length == got.length, "lengths " + expected.length + " and " + got.length);
    double worst = 0;
    for (int i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - got[i]) / (atol + rtol * Math.abs(expected[i])));
      if (Float.isNaN(got[i])) return Double.POSITIVE_INFINITY;
    }
    return worst;
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void require(boolean condition, String message) {
    if (!condition) throw new IllegalStateException(message);
  }

  private static void say(String line) {
    System.out.println("rank " + rank + ": " + line);
    System.out.flush();
  }
}
