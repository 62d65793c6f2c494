package dev.pvll.cli;

import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.DataParallel;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.KernelException;
import dev.pvll.kernels.LaunchEnvironment;
import java.util.concurrent.Callable;

/**
 * The job a command runs in: one process on its own, or one rank of a data-parallel job started
 * by a launcher ({@code mpirun -np R pvll ...}, {@code srun --mpi=pmix pvll ...}), whose
 * environment gives the rank, the world size and the local GPU ({@link LaunchEnvironment}). Opens
 * the job's {@link Collectives} (MPI, and NCCL on the rank's GPU) and ends them; a rank whose
 * command fails prints one line naming itself, gives up on the job (so that nothing waits for it)
 * and exits non-zero, and the launcher then ends the other ranks (with {@code mpirun
 * --enable-recovery}, their own timeout does).
 */
final class Job implements AutoCloseable {
  /** Exit code of a rank whose job failed for another reason than bad input (a collective timed out, a rank died). */
  static final int FAILED = 4;

  private final LaunchEnvironment launch;
  private final Collectives collectives;
  private final DataParallel parallel;
  /** Says why a rank ends when the launcher stops it (another rank failed), where no exception could. */
  private final Thread stoppedByLauncher;

  private Job(LaunchEnvironment launch, Collectives collectives, DataParallel parallel) {
    this.launch = launch;
    this.collectives = collectives;
    this.parallel = parallel;
    if (launch.size() > 1) {
      stoppedByLauncher = new Thread(() -> line(System.err, "pvll: rank " + launch.rank() + " of " + launch.size()
          + ": stopped by a signal before the job ended (a launcher ends every rank when one fails; rank 0's checkpoint is whole)"));
      Runtime.getRuntime().addShutdownHook(stoppedByLauncher);
    } else {
      stoppedByLauncher = null;
    }
  }

  /**
   * This process's job: a single process without a launcher, else this rank joined to the others.
   *
   * @param device the command's device setting (cpu, cuda, cuda:N, auto): the collectives run
   *     on this rank's one ({@link Device#resolveForRank})
   * @param timeoutSeconds how long any wait for the other ranks may take
   * @param threads CPU kernel threads, or null: in a job of several ranks on the CPU, the cores
   *     shared evenly by the ranks on this host
   */
  static Job open(String device, double timeoutSeconds, Integer threads) {
    LaunchEnvironment launch = LaunchEnvironment.detect();
    DataParallel parallel = DataParallel.of(launch.size()).withTimeoutSeconds(timeoutSeconds);
    if (threads != null) CpuInfo.setThreads(threads);
    if (launch.size() == 1) return new Job(launch, Collectives.single(), parallel);
    Device d = Device.resolveForRank(device, launch.localRank());
    if (threads == null && d.isCpu()) CpuInfo.setThreads(Math.max(1, CpuInfo.cores() / launch.localSize()));
    return new Job(launch, Collectives.open(launch, d, parallel.collectives()), parallel);
  }

  /**
   * For a command that runs in one process only (it writes files that ranks would race on):
   * refuses a launch of several ranks, naming the command and the launcher.
   */
  static void requireSingle(String command) {
    requireSingle(command, LaunchEnvironment.detect());
  }

  static void requireSingle(String command, LaunchEnvironment launch) {
    if (launch.size() > 1) {
      throw new IllegalArgumentException(command + " runs in one process, not as " + launch.describe()
          + ": start it without mpirun or srun (pvll search and pvll train are the data-parallel commands)");
    }
  }

  Collectives collectives() {
    return collectives;
  }

  /** The ranks and timeout, for the run's configuration. */
  DataParallel parallel() {
    return parallel;
  }

  boolean isRoot() {
    return collectives.isRoot();
  }

  boolean isParallel() {
    return launch.size() > 1;
  }

  /**
   * Runs the command's body. A single process: as it is (errors reach {@link Main}'s handler).
   * A rank of a job: any failure is printed as one line naming the rank, the job is given up
   * and the exit code returned (2 for bad input, {@link #FAILED} otherwise).
   */
  int run(Callable<Integer> body) throws Exception {
    if (!isParallel()) return body.call();
    try {
      return body.call();
    } catch (Throwable e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      collectives.abort("rank " + launch.rank() + " failed: " + message);
      line(System.err, "pvll: rank " + launch.rank() + " of " + launch.size() + ": " + message);
      boolean badInput = Main.isBadInput(e);
      if (!badInput && !(e instanceof KernelException)) e.printStackTrace();
      System.err.flush();
      return badInput ? 2 : FAILED;
    }
  }

  /**
   * Prints text as one write: the launcher forwards every rank's output, and a line written in
   * pieces (PrintStream's small stderr buffer splits long lines) interleaves with other ranks'.
   */
  static void line(java.io.PrintStream out, String text) {
    byte[] b = (text.endsWith("\n") ? text : text + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.write(b, 0, b.length);
    out.flush();
  }

  /** Leaves the job (waits for the other ranks within the timeout), at once after a failure. */
  @Override
  public void close() {
    try {
      if (stoppedByLauncher != null) Runtime.getRuntime().removeShutdownHook(stoppedByLauncher);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook says why
    }
    collectives.close();
  }
}
