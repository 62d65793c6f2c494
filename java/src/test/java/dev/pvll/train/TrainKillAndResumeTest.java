package dev.pvll.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.testing.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pvll train} killed (SIGKILL, a real process) at a random moment and resumed with
 * {@code --resume} ends with the same result.json and the same log values as an uninterrupted
 * run (wall times aside); a comparison of several runs started again with the same --out reads
 * the finished runs back instead of training them again.
 */
class TrainKillAndResumeTest {
  @TempDir Path tmp;

  private static final String[] TINY = {"train", "--preset", "tiny", "--genotype", "PVLL_NAS", "--epochs", "6"};

  @Test
  void killedAndResumedTrainingEqualsUninterruptedTraining() throws Exception {
    long seed = dev.pvll.testing.Seeds.next();
    Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
    long t0 = System.nanoTime();
    assertEquals(0, pvll(with(TINY, "--out", whole.toString())).waitFor(), "uninterrupted run failed");
    long wallMs = (System.nanoTime() - t0) / 1_000_000;

    Random r = new Random(seed);
    long started = System.nanoTime();
    Process p = pvll(with(TINY, "--out", killed.toString()));
    boolean wasKilled = RunFiles.killAfterFirstCheckpoint(p, killed.resolve("checkpoint.bin"), started, wallMs, r);
    long delay = (System.nanoTime() - started) / 1_000_000;
    if (!wasKilled) assertEquals(0, p.exitValue(), "run failed (seed " + seed + ")");
    boolean finished = !wasKilled;
    if (!finished) assertEquals(0, pvll("train", "--resume", killed.toString()).waitFor(), "resumed run failed (seed " + seed + ")");

    assertEquals(withoutSeconds(json(whole.resolve("result.json"))), withoutSeconds(json(killed.resolve("result.json"))),
        "result.json differs after a kill at " + delay + " ms (seed " + seed + ")");
    List<JsonObject> a = log(whole), b = log(killed);
    assertEquals(a.size(), b.size(), "log lengths differ (seed " + seed + ")");
    for (int i = 0; i < a.size(); i++) assertEquals(a.get(i), b.get(i), "log line " + (i + 1) + " differs (seed " + seed + ")");
  }

  @Test
  void comparisonStartedAgainReadsFinishedRunsBack() throws Exception {
    Path dir = tmp.resolve("comparison");
    String[] cmd = {"train", "--preset", "tiny", "--genotype", "PVLL_NAS", "--epochs", "1", "--seeds", "1,2", "--out", dir.toString()};
    assertEquals(0, pvll(cmd).waitFor(), "first comparison run failed");
    String first = Files.readString(dir.resolve("summary.md"));
    long stamp = Files.getLastModifiedTime(dir.resolve("PVLL_NAS-seed1").resolve("result.json")).toMillis();
    assertEquals(0, pvll(cmd).waitFor(), "second comparison run failed");
    assertEquals(first, Files.readString(dir.resolve("summary.md")), "summary after reading the runs back");
    assertEquals(stamp, Files.getLastModifiedTime(dir.resolve("PVLL_NAS-seed1").resolve("result.json")).toMillis(),
        "a finished run was trained again");
  }

  private static String[] with(String[] base, String... more) {
    List<String> l = new ArrayList<>(List.of(base));
    l.addAll(List.of(more));
    return l.toArray(new String[0]);
  }

  private static JsonObject json(Path f) throws IOException {
    return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
  }

  private static JsonObject withoutSeconds(JsonObject o) {
    return RunFiles.withoutTimes(o);
  }

  private static List<JsonObject> log(Path dir) throws IOException {
    return RunFiles.logWithoutTimes(dir);
  }

  private Process pvll(String... args) throws IOException {
    return RunFiles.pvll(tmp, args);
  }
}
