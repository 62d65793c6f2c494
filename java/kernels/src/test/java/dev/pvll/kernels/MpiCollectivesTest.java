package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MPI collectives across two real processes: {@code mpirun -np 2} runs {@link MpiWorker} in
 * two JVMs with this test's class path (as root, as in CI: {@code --allow-run-as-root
 * --oversubscribe}). Skipped only where mpirun is not installed (.ci/run installs openmpi-bin).
 * Figures: each case starts two JVMs (about 2 to 5 s on 2 cores); the timeouts are 2 to 3 s.
 */
class MpiCollectivesTest {
  private static String mpirun;

  @TempDir Path dir;

  @BeforeAll
  static void findMpirun() {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(folder, "mpirun");
      if (f.canExecute()) {
        mpirun = f.getPath();
        break;
      }
    }
    Assumptions.assumeTrue(mpirun != null, "mpirun is not installed (Debian: apt-get install openmpi-bin)");
  }

  @Test
  void collectivesGiveKnownAnswersAcrossTwoRanks() throws Exception {
    Run run = launch(false, "collectives", 30);
    assertEquals(0, run.exitCode, run.output);
    for (int r = 0; r < 2; r++) {
      assertTrue(run.output.contains("rank " + r + ": PASS"), "rank " + r + " did not pass:\n" + run.output);
      assertTrue(run.output.contains("rank " + r + ": the JVM's signal handling survived MPI_Init"), run.output);
      assertTrue(run.output.contains("rank " + r + ": synchronised batch norm on " + (r == 0 ? 3 : 5)), run.output);
    }
  }

  @Test
  void aRankThatNeverJoinsMakesTheOtherFailWithinTheTimeout() throws Exception {
    Run run = launch(false, "absent", 2);
    String timeout = line(run, "rank 0: TIMEOUT");
    assertTrue(timeout.contains("status 7"), timeout);
    assertTrue(timeout.contains("pvll_coll_barrier of 0 elements (a barrier) on rank 0 of 2 did not complete within the "
        + "timeout of 2.0 s"), timeout);
    assertTrue(timeout.contains("another rank has probably died"), timeout);
    double waited = seconds(timeout, "after ([0-9.]+) s");
    assertTrue(waited >= 1.9 && waited < 3.5, "waited " + waited + " s for a 2 s timeout: " + timeout);
    String then = line(run, "rank 0: THEN");
    assertTrue(then.contains("status 7") && then.contains("unusable after an earlier failure"), then);
    assertTrue(seconds(then, "after ([0-9.]+) s") < 0.5, then);
    assertTrue(seconds(line(run, "rank 0: CLOSED"), "after ([0-9.]+) s") < 1.0, run.output);
  }

  @Test
  void aRankKilledMidCollectiveMakesTheSurvivorReportWithinTheTimeout() throws Exception {
    // --enable-recovery: mpirun keeps the survivor alive, so pvll's own timeout must end its wait
    Run run = launch(true, "killed", 3);
    String died = line(run, "rank 0: DIED");
    assertTrue(died.contains("status 7") && died.contains("another rank has probably died"), died);
    assertTrue(died.contains("pvll_coll_all_reduce_sum_float of 1048576 floats on rank 0 of 2"), died);
    double sinceLast = seconds(died, "([0-9.]+) s after the last one");
    assertTrue(sinceLast < 3 + 1.5, "the survivor waited " + sinceLast + " s with a 3 s timeout: " + died);
    assertTrue(run.output.contains("rank 0: CLOSED"), run.output);
    assertTrue(!run.output.contains("rank 1: DIED"), "rank 1 was not killed:\n" + run.output);
  }

  @Test
  void underPlainMpirunAKilledRankEndsTheJobWithinSeconds() throws Exception {
    // pvll's timeout is 60 s here: the job must end long before it, by mpirun's hand
    long start = System.nanoTime();
    Run run = launch(false, "killed", 60);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertNotEquals(0, run.exitCode, run.output);
    assertTrue(run.output.contains("signal 9"), "mpirun did not report the killed rank:\n" + run.output);
    assertTrue(seconds < 40, "the job took " + seconds + " s to end after a rank was killed:\n" + run.output);
    assertTrue(!run.output.contains("rank 0: CLOSED"), run.output);
  }

  private record Run(int exitCode, String output) {}

  private Run launch(boolean recovery, String mode, double timeoutSeconds) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(mpirun));
    if ("root".equals(System.getProperty("user.name"))) command.add("--allow-run-as-root");
    command.addAll(List.of("--oversubscribe", "-np", "2"));
    if (recovery) command.add("--enable-recovery");
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-XX:+UseSerialGC", "-cp", classPath, MpiWorker.class.getName(), mode, Double.toString(timeoutSeconds)));
    Path log = dir.resolve(mode + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("mpirun " + mode + " hung for 120 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println("---- mpirun " + mode + " (exit " + p.exitValue() + ")\n" + output);
    return new Run(p.exitValue(), output);
  }

  private static String line(Run run, String prefix) {
    for (String l : run.output.split("\n")) if (l.startsWith(prefix)) return l;
    return fail("no line starting with '" + prefix + "' in:\n" + run.output);
  }

  private static double seconds(String line, String regex) {
    Matcher m = Pattern.compile(regex).matcher(line);
    if (!m.find()) fail("no '" + regex + "' in: " + line);
    return Double.parseDouble(m.group(1));
  }
}
