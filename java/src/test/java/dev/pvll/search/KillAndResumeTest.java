package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny search killed (SIGKILL, a real process) at a random moment and resumed ends with the
 * same genotype and the same log values as an uninterrupted run (the per-unit wall times aside).
 */
class KillAndResumeTest {
  @TempDir Path tmp;

  @Test
  void killedAndResumedRunEqualsUninterruptedRun() throws Exception {
    long seed = dev.pvll.testing.Seeds.next();
    Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
    long t0 = System.nanoTime();
    assertEquals(0, pvll("search", "--preset", "tiny", "--out", whole.toString()).waitFor(), "uninterrupted run failed");
    long wallMs = (System.nanoTime() - t0) / 1_000_000;

    Random r = new Random(seed);
    Process p = pvll("search", "--preset", "tiny", "--out", killed.toString());
    long delay = (long) (wallMs * (0.3 + 0.5 * r.nextDouble()));
    boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
    if (!finished) {
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
    }
    assertTrue(Files.exists(killed.resolve("checkpoint.bin")) || finished, "no checkpoint after " + delay + " ms (seed " + seed + ")");
    if (!finished) assertEquals(0, pvll("search", "--resume", killed.toString()).waitFor(), "resumed run failed");

    assertEquals(Files.readString(whole.resolve("genotype.txt")), Files.readString(killed.resolve("genotype.txt")),
        "genotype differs after kill at " + delay + " ms (seed " + seed + ")");
    List<JsonObject> a = log(whole), b = log(killed);
    assertEquals(a.size(), b.size(), "log lengths differ (seed " + seed + ")");
    for (int i = 0; i < a.size(); i++) assertEquals(a.get(i), b.get(i), "log line " + (i + 1) + " differs (seed " + seed + ")");
  }

  private static List<JsonObject> log(Path dir) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String s : Files.readAllLines(dir.resolve("log.jsonl"))) {
      JsonObject o = JsonParser.parseString(s).getAsJsonObject();
      o.remove("seconds");
      out.add(o);
    }
    return out;
  }

  private Process pvll(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), "dev.pvll.cli.Main"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("out-" + System.nanoTime() + ".log").toFile()).start();
  }
}
