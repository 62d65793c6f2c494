package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.testing.Mpirun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pvll search} on two CPU ranks under {@code mpirun -np 2}, against one process with the
 * same global batch, and its faults: a rank killed mid-run (plain mpirun ends the job within
 * seconds; under --enable-recovery the survivor's own timeout does, with a clear error), the
 * checkpoint it leaves resumes to the uninterrupted run's files, a resume with another rank count
 * is refused, and ranks started with different settings all stop naming the setting; the default
 * preset's method (one-shot labels, kernel psi, the ranked rule) on two ranks is one process's run too.
 *
 * <p>The tiny preset at a learning rate of 3e-4: at the preset's 0.025 this network turns any
 * rounding difference into a different run within two epochs (one process with the AVX-512
 * depthwise kernels against the same with the AVX2 ones already ends with another genotype), so
 * agreement "within float tolerance" is only meaningful where rounding stays rounding.
 * Each job starts two JVMs: about 15 s each on 2 cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class DataParallelSearchTest {
  private static final List<String> TINY = List.of("search", "--preset", "tiny", "--lr", "3e-4", "--lr-min", "3e-4");
  private static final double TOLERANCE = 1e-4;

  @TempDir static Path tmp;
  private Path twoRanks;

  @BeforeAll
  void needsMpirun() {
    Mpirun.require();
  }

  @Test
  @Order(1)
  void twoRanksWriteTheGenotypeAndLogOfOneProcessWithTheSameGlobalBatch() throws Exception {
    Path one = tmp.resolve("one"), two = tmp.resolve("two");
    pvllAlone(args(TINY, "--out", one.toString()));
    Mpirun.Run run = mpirun(2, List.of(), args(TINY, "--out", two.toString()), 120, null);
    assertEquals(0, run.exitCode(), run.output());
    assertEquals(Files.readString(one.resolve("genotype.txt")), Files.readString(two.resolve("genotype.txt")), "genotype");
    assertLogsAgree(one.resolve("log.jsonl"), two.resolve("log.jsonl"));
    JsonObject config = JsonParser.parseString(Files.readString(two.resolve("config.json"))).getAsJsonObject();
    assertEquals(2, config.getAsJsonObject("parallel").get("ranks").getAsInt(), "config.json records the ranks");
    // rank 0 alone printed the result
    assertEquals(1, count(run.output(), "genotype          Genotype("), run.output());
    twoRanks = two;
  }

  @Test
  @Order(2)
  void aKilledRankEndsTheJobWithinSecondsAndTheCheckpointResumesToTheUninterruptedRun() throws Exception {
    Path dir = tmp.resolve("killed");
    AtomicLong killedAt = new AtomicLong();
    Mpirun.Run run = mpirun(2, List.of(), args(TINY, "--out", dir.toString()), 120, p -> killedAt.set(killRankAfterLines(p, 1, dir, 4)));
    double afterKill = (System.nanoTime() - killedAt.get()) / 1e9; // from the kill to the end of the job
    assertNotEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("signal 9"), "mpirun did not name the killed rank:\n" + run.output());
    assertTrue(afterKill < 15, "the job ended " + afterKill + " s after a rank was killed:\n" + run.output());
    assertTrue(run.output().contains("pvll: rank 0 of 2: stopped by a signal before the job ended"), run.output());
    System.out.printf("killed rank 1: the job ended %.1f s later%n", afterKill);
    assertFalse(run.output().contains("genotype          Genotype("), "the run did not stop:\n" + run.output());
    // the checkpoint left is whole: the same two ranks continue it to the uninterrupted run's files
    Path refused = tmp.resolve("refused");
    copy(dir, refused);
    Mpirun.Run resumed = mpirun(2, List.of(), List.of("search", "--resume", dir.toString()), 120, null);
    assertEquals(0, resumed.exitCode(), resumed.output());
    assertTrue(resumed.output().contains("resuming " + dir + " with 2 ranks"), resumed.output());
    if (twoRanks == null) fail("needs the uninterrupted two-rank run of the first test");
    assertEquals(Files.readString(twoRanks.resolve("genotype.txt")), Files.readString(dir.resolve("genotype.txt")));
    assertEquals(withoutTimes(Files.readString(twoRanks.resolve("log.jsonl"))), withoutTimes(Files.readString(dir.resolve("log.jsonl"))),
        "a resumed two-rank run continues exactly");

    // another number of ranks: a clear error, nothing written
    String before = Files.readString(refused.resolve("log.jsonl"));
    Result alone = pvllAlone(List.of("search", "--resume", refused.toString()));
    assertEquals(2, alone.code(), alone.err());
    assertTrue(alone.err().contains("was written by a job of 2 rank(s), this job has 1: resume it with 2 ranks (mpirun -np 2)"), alone.err());
    assertEquals(before, Files.readString(refused.resolve("log.jsonl")));
  }

  @Test
  @Order(3)
  void underEnableRecoveryTheSurvivorsTimeoutEndsItWithAClearError() throws Exception {
    Path dir = tmp.resolve("recovery");
    AtomicLong killedAt = new AtomicLong();
    Mpirun.Run run = mpirun(2, List.of("--enable-recovery"), args(TINY, "--out", dir.toString(), "--collectives-timeout", "3"), 120,
        p -> killedAt.set(killRankAfterLines(p, 1, dir, 3)));
    double afterKill = (System.nanoTime() - killedAt.get()) / 1e9;
    // (mpirun --enable-recovery itself exits 0 here, Open MPI 4.1.4: the survivor's line is what tells)
    assertFalse(run.output().contains("genotype          Genotype("), "the run did not stop:\n" + run.output());
    String line = lineWith(run.output(), "pvll: rank 0 of 2: ");
    assertTrue(line.contains("did not complete within the timeout of 3.0 s") && line.contains("another rank has probably died"), line);
    assertTrue(afterKill < 3 + 7, "the survivor ended " + afterKill + " s after the kill, with a 3 s timeout:\n" + run.output());
    System.out.printf("killed rank 1 under --enable-recovery: the survivor ended %.1f s later%n", afterKill);
  }

  @Test
  @Order(4)
  void ranksStartedWithDifferentSettingsStopNamingTheSetting() throws Exception {
    Path dir = tmp.resolve("mismatch");
    Mpirun.Run run = Mpirun.run(tmp.resolve("mismatch.log"), List.of(), List.of(
        Mpirun.java(Main.class.getName(), args(TINY, "--out", dir.toString(), "--batch-size", "32")),
        Mpirun.java(Main.class.getName(), args(TINY, "--out", dir.toString(), "--batch-size", "16"))), 1, 120, null);
    assertNotEquals(0, run.exitCode(), run.output());
    for (int r = 0; r < 2; r++) {
      String line = lineWith(run.output(), "pvll: rank " + r + " of 2: ");
      assertTrue(line.contains("the ranks were started with different configurations: rank 1: config.data.batchSize: rank 0 has 32, "
          + "rank 1 has 16"), line);
    }
    assertFalse(Files.exists(dir.resolve("checkpoint.bin")), "nothing was written");
  }

  @Test
  @Order(5)
  void theDefaultPresetsMethodOnTwoRanksIsOneProcesssRun() throws Exception {
    // the one-shot settings of the default preset on the tiny network: frozen labels, genotype draws, kernel psi ranking draws
    // and mutations, the ranked final rule
    List<String> oneShot = args(TINY, "--label-mode", "frozen", "--draw", "genotype", "--predictor", "kernel", "--memory", "200",
        "--proposals", "4", "--mutations", "4", "--final-rule", "ranked", "--arch-lr", "0.1", "--steps", "8");
    Path one = tmp.resolve("one-shot-one"), two = tmp.resolve("one-shot-two");
    pvllAlone(args(oneShot, "--out", one.toString()));
    Mpirun.Run run = mpirun(2, List.of(), args(oneShot, "--out", two.toString()), 120, null);
    assertEquals(0, run.exitCode(), run.output());
    assertEquals(Files.readString(one.resolve("genotype.txt")), Files.readString(two.resolve("genotype.txt")), "genotype");
    // every labelled architecture, label, prediction and A's entropies within tolerance; not the "genotype" readout of each
    // search line (DARTS's rule on A after the step): after 8 steps from A = 0 some of its edges' strengths differ by less
    // than rounding, so two ranks and one process may read a different edge where A itself agrees to 1e-4
    assertLogsAgree(one.resolve("log.jsonl"), two.resolve("log.jsonl"), "genotype");
  }

  // ---- helpers

  private static List<String> args(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all;
  }

  private Mpirun.Run mpirun(int ranks, List<String> options, List<String> pvllArgs, double limit, java.util.function.Consumer<Process> during)
      throws IOException, InterruptedException {
    return Mpirun.run(tmp.resolve("mpirun-" + System.nanoTime() + ".log"), options, List.of(Mpirun.java(Main.class.getName(), pvllArgs)),
        ranks, limit, during);
  }

  private record Result(int code, String err) {}

  /** pvll in one process (no launcher), with the kernels the ranks use. */
  private Result pvllAlone(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = Mpirun.java(Main.class.getName(), args);
    Path out = tmp.resolve("alone-" + System.nanoTime() + ".log");
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    b.environment().put("PVLL_NO_AVX512", "1");
    Process p = b.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("pvll " + args + " hung");
    }
    String text = Files.readString(out);
    if (p.exitValue() != 0 && p.exitValue() != 2) fail("pvll " + args + " failed:\n" + text);
    return new Result(p.exitValue(), text);
  }

  /**
   * Waits (in a thread of its own) until dir's log has lines lines, then SIGKILLs the process of
   * rank; returns at once with the moment of the kill to come through the returned value's holder.
   */
  private static long killRankAfterLines(Process mpirun, int rank, Path dir, int lines) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    try {
      while (System.nanoTime() < deadline) {
        Path log = dir.resolve("log.jsonl");
        if (Files.exists(log) && Files.readAllLines(log).size() >= lines) {
          for (ProcessHandle h : mpirun.descendants().toList()) {
            if (Mpirun.rankOf(h) == rank) {
              h.destroyForcibly(); // SIGKILL: no handler, no goodbye
              return System.nanoTime();
            }
          }
        }
        Thread.sleep(50);
      }
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException("rank " + rank + " was not found running with " + lines + " log lines written");
  }

  /** The two logs line by line: the same fields, numbers within TOLERANCE, the rest equal; fields named in skipped not compared. */
  private static void assertLogsAgree(Path one, Path two, String... skipped) throws IOException {
    List<String> a = Files.readAllLines(one), b = Files.readAllLines(two);
    assertEquals(a.size(), b.size(), "log lines");
    for (int i = 0; i < a.size(); i++) {
      JsonObject x = JsonParser.parseString(a.get(i)).getAsJsonObject(), y = JsonParser.parseString(b.get(i)).getAsJsonObject();
      assertEquals(x.keySet(), y.keySet(), "fields of line " + (i + 1));
      for (Map.Entry<String, JsonElement> e : x.entrySet()) {
        if (e.getKey().equals("seconds") || List.of(skipped).contains(e.getKey())) continue;
        assertAgree("line " + (i + 1) + " (" + x.get("phase").getAsString() + ") " + e.getKey(), e.getValue(), y.get(e.getKey()));
      }
    }
  }

  /** Numbers within TOLERANCE relative (NaN as NaN), everything else equal, arrays element by element. */
  private static void assertAgree(String what, JsonElement x, JsonElement y) {
    if (x.isJsonArray()) {
      assertTrue(y.isJsonArray() && y.getAsJsonArray().size() == x.getAsJsonArray().size(), what);
      for (int k = 0; k < x.getAsJsonArray().size(); k++) assertAgree(what + "[" + k + "]", x.getAsJsonArray().get(k), y.getAsJsonArray().get(k));
    } else if (x.isJsonObject()) {
      for (Map.Entry<String, JsonElement> e : x.getAsJsonObject().entrySet()) {
        assertAgree(what + "." + e.getKey(), e.getValue(), y.getAsJsonObject().get(e.getKey()));
      }
    } else if (x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber()) {
      double p = x.getAsDouble(), q = y.getAsDouble();
      if (Double.isNaN(p)) assertTrue(Double.isNaN(q), what + ": NaN against " + q);
      else assertTrue(Math.abs(p - q) <= TOLERANCE * (1 + Math.abs(p)), what + ": " + p + " (one process) against " + q + " (two ranks)");
    } else {
      assertEquals(x, y, what);
    }
  }

  private static String withoutTimes(String log) {
    StringBuilder sb = new StringBuilder();
    for (String line : log.split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      o.remove("seconds");
      sb.append(o).append('\n');
    }
    return sb.toString();
  }

  private static String lineWith(String output, String prefix) {
    for (String l : output.split("\n")) if (l.contains(prefix)) return l;
    return fail("no line with '" + prefix + "' in:\n" + output);
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
    return n;
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
  }
}
