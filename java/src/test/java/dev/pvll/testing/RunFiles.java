package dev.pvll.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** What the end-to-end tests read from run folders, and how they start {@code pvll} as a real process. */
public final class RunFiles {
  private RunFiles() {}

  /** The lines of dir/log.jsonl without their wall times ("seconds", "elapsed"), for comparing runs. */
  public static List<JsonObject> logWithoutTimes(Path dir) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String s : Files.readAllLines(dir.resolve("log.jsonl"))) out.add(withoutTimes(JsonParser.parseString(s).getAsJsonObject()));
    return out;
  }

  /** o without its wall-time fields. */
  public static JsonObject withoutTimes(JsonObject o) {
    o.remove("seconds");
    o.remove("elapsed");
    return o;
  }

  /**
   * Kills p (SIGKILL) at a random moment after its first checkpoint file appears: waits for the
   * file, then for a random share of what is left of totalMs (the wall time of the same run
   * uninterrupted, counted from when p started at startNanos). Returns false when p ended first.
   */
  public static boolean killAfterFirstCheckpoint(Process p, Path checkpoint, long startNanos, long totalMs, Random random)
      throws InterruptedException {
    while (p.isAlive() && !Files.exists(checkpoint)) Thread.sleep(5);
    if (!p.isAlive()) return false;
    long left = Math.max(0, totalMs - (System.nanoTime() - startNanos) / 1_000_000);
    if (p.waitFor((long) (left * 0.8 * random.nextDouble()), TimeUnit.MILLISECONDS)) return false;
    p.destroyForcibly();
    p.waitFor();
    return true;
  }

  /** Starts {@code pvll args...} in a new JVM on this test's class path; its output goes to a file in logDir. */
  public static Process pvll(Path logDir, String... args) throws IOException {
    try {
      return start(logDir, args);
    } catch (java.net.URISyntaxException e) {
      throw new IOException("where the pvll classes are: " + e, e);
    }
  }

  private static Process start(Path logDir, String... args) throws IOException, java.net.URISyntaxException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Djava.awt.headless=true"));
    String cuda = System.getProperty("pvll.cuda"); // the CUDA device of the tests: the child uses the same one
    if (cuda != null && !cuda.isBlank()) cmd.add("-Dpvll.cuda=" + cuda);
    // the pvll classes (a folder under Maven, the shaded jar on the device) before the JVM's own class path,
    // which under the JUnit console launcher holds only the launcher
    String pvll = Path.of(dev.pvll.cli.Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    cmd.addAll(List.of("-cp", pvll + java.io.File.pathSeparator + System.getProperty("java.class.path"), "dev.pvll.cli.Main"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logDir.resolve("out-" + System.nanoTime() + ".log").toFile()).start();
  }
}
