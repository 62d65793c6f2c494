package dev.pvll.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;

/**
 * Starts Java programs of this test class path under Open MPI's {@code mpirun} (as root, as in
 * CI: {@code --allow-run-as-root --oversubscribe}), one JVM per rank. Tests that use it are
 * skipped only where mpirun is not installed (.ci/run installs openmpi-bin).
 */
public final class Mpirun {
  private Mpirun() {}

  /** What a job printed (stdout and stderr of every rank and of mpirun, interleaved), its exit code and wall time. */
  public record Run(int exitCode, String output, double seconds) {}

  /** The mpirun on PATH; skips the calling test where there is none. */
  public static String require() {
    Optional<String> found = find();
    Assumptions.assumeTrue(found.isPresent(), "mpirun is not installed (Debian: apt-get install openmpi-bin)");
    return found.get();
  }

  private static Optional<String> find() {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(folder, "mpirun");
      if (f.canExecute()) return Optional.of(f.getPath());
    }
    return Optional.empty();
  }

  /** The java command of one rank: this JVM's java, the test class path, mainClass and its arguments. */
  public static List<String> java(String mainClass, List<String> args) {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
        "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-cp", classPath, mainClass));
    command.addAll(args);
    return command;
  }

  /**
   * Runs one program per group of ranks (mpirun's "-np N cmd : -np M cmd" form), waits at most
   * limitSeconds (then kills the job and fails the test), and returns what it printed.
   *
   * @param mpirunOptions options before the programs (e.g. --enable-recovery)
   * @param whileRunning called with the mpirun process while it runs (to kill a rank), or null
   */
  public static Run run(Path logFile, List<String> mpirunOptions, List<List<String>> programs, int ranksEach, double limitSeconds,
      Consumer<Process> whileRunning) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(require()));
    if ("root".equals(System.getProperty("user.name"))) command.add("--allow-run-as-root");
    command.add("--oversubscribe");
    command.addAll(mpirunOptions);
    for (int k = 0; k < programs.size(); k++) {
      if (k > 0) command.add(":");
      command.addAll(List.of("-np", Integer.toString(ranksEach)));
      command.addAll(programs.get(k));
    }
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
    b.environment().put("PVLL_NO_AVX512", "1"); // the kernels of the one-process runs the tests compare with
    long start = System.nanoTime();
    Process p = b.start();
    if (whileRunning != null) whileRunning.accept(p);
    if (!p.waitFor((long) (limitSeconds * 1000), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("mpirun hung for " + limitSeconds + " s:\n" + Files.readString(logFile, StandardCharsets.UTF_8));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String output = Files.readString(logFile, StandardCharsets.UTF_8);
    System.out.println("---- " + String.join(" ", command.subList(0, Math.min(command.size(), 8))) + " ... (exit " + p.exitValue()
        + ", " + String.format("%.1f", seconds) + " s)\n" + output);
    return new Run(p.exitValue(), output, seconds);
  }

  /** The rank (OMPI_COMM_WORLD_RANK) of a process mpirun started, read from its environment; -1 when unreadable. */
  public static int rankOf(ProcessHandle h) {
    try {
      byte[] env = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "environ"));
      for (String kv : new String(env, StandardCharsets.UTF_8).split("\0")) {
        if (kv.startsWith("OMPI_COMM_WORLD_RANK=")) return Integer.parseInt(kv.substring(kv.indexOf('=') + 1));
      }
    } catch (IOException | NumberFormatException e) {
      // not (or no longer) readable
    }
    return -1;
  }
}
