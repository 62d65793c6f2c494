package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.testing.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
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
    long started = System.nanoTime();
    Process p = pvll("search", "--preset", "tiny", "--out", killed.toString());
    boolean wasKilled = RunFiles.killAfterFirstCheckpoint(p, killed.resolve("checkpoint.bin"), started, wallMs, r);
    long delay = (System.nanoTime() - started) / 1_000_000;
    if (!wasKilled) assertEquals(0, p.exitValue(), "run failed (seed " + seed + ")");
    boolean finished = !wasKilled;
    if (!finished) assertEquals(0, pvll("search", "--resume", killed.toString()).waitFor(), "resumed run failed");

    assertEquals(Files.readString(whole.resolve("genotype.txt")), Files.readString(killed.resolve("genotype.txt")),
        "genotype differs after kill at " + delay + " ms (seed " + seed + ")");
    List<JsonObject> a = log(whole), b = log(killed);
    assertEquals(a.size(), b.size(), "log lengths differ (seed " + seed + ")");
    for (int i = 0; i < a.size(); i++) assertEquals(a.get(i), b.get(i), "log line " + (i + 1) + " differs (seed " + seed + ")");
  }

  private static List<JsonObject> log(Path dir) throws IOException {
    return RunFiles.logWithoutTimes(dir);
  }

  private Process pvll(String... args) throws IOException {
    return RunFiles.pvll(tmp, args);
  }
}
