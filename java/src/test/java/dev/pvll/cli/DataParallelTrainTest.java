package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.testing.Mpirun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pvll train} on two CPU ranks (mpirun -np 2): a run whose batches the ranks share gives
 * one process's log and result within float tolerance (drop-path, cutout, the auxiliary head and
 * the test set's last batch of 17, split 9 + 8, included); a comparison with {@code --parallel runs} trains
 * whole runs on both ranks and writes the summary one process writes, exactly (each run is one
 * process). About 25 s on 2 cores.
 */
@Timeout(300)
class DataParallelTrainTest {
  @TempDir Path tmp;

  private static final List<String> TINY = List.of("train", "--preset", "tiny", "--genotype", "PVLL_NAS", "--lr", "3e-4",
      "--test-images", "241");

  @Test
  void twoRanksSharingTheBatchesTrainWhatOneProcessTrains() throws Exception {
    Path one = tmp.resolve("one"), two = tmp.resolve("two");
    alone(args(TINY, "--out", one.toString()));
    Mpirun.Run run = Mpirun.run(tmp.resolve("two.log"), List.of(), List.of(Mpirun.java(Main.class.getName(), args(TINY, "--out",
        two.toString()))), 2, 120, null);
    assertEquals(0, run.exitCode(), run.output());
    List<String> a = Files.readAllLines(one.resolve("log.jsonl")), b = Files.readAllLines(two.resolve("log.jsonl"));
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      JsonObject x = JsonParser.parseString(a.get(i)).getAsJsonObject(), y = JsonParser.parseString(b.get(i)).getAsJsonObject();
      for (String k : List.of("lr", "drop_path", "train_loss", "train_acc", "test_loss", "test_acc")) {
        double p = x.get(k).getAsDouble(), q = y.get(k).getAsDouble();
        assertTrue(Math.abs(p - q) <= 1e-5 * (1 + Math.abs(p)), "epoch " + i + " " + k + ": " + p + " (one process) against " + q);
      }
    }
    JsonObject r1 = JsonParser.parseString(Files.readString(one.resolve("result.json"))).getAsJsonObject();
    JsonObject r2 = JsonParser.parseString(Files.readString(two.resolve("result.json"))).getAsJsonObject();
    assertEquals(r1.get("confusion"), r2.get("confusion"), "the test set's confusion matrix, summed over the ranks");
    assertEquals(r1.get("parameters"), r2.get("parameters"));
  }

  @Test
  void aComparisonSpreadOverTwoRanksWritesTheSummaryOfOneProcess() throws Exception {
    List<String> compare = List.of("train", "--preset", "tiny", "--genotype", "PVLL_NAS", "--random", "1", "--seeds", "1,2", "--epochs", "1");
    Path one = tmp.resolve("one"), two = tmp.resolve("two");
    alone(args(compare, "--out", one.toString()));
    Mpirun.Run run = Mpirun.run(tmp.resolve("two.log"), List.of(), List.of(Mpirun.java(Main.class.getName(), args(compare, "--out",
        two.toString(), "--parallel", "runs"))), 2, 120, null);
    assertEquals(0, run.exitCode(), run.output());
    assertEquals(Files.readString(one.resolve("summary.json")), Files.readString(two.resolve("summary.json")));
    // run k on rank k mod 2
    assertTrue(run.output().contains("rank 0: == PVLL_NAS, seed 1") && run.output().contains("rank 1: == PVLL_NAS, seed 2")
        && run.output().contains("rank 0: == random-1, seed 1") && run.output().contains("rank 1: == random-1, seed 2"), run.output());
  }

  private static List<String> args(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all;
  }

  private void alone(List<String> args) throws Exception {
    Path log = tmp.resolve("alone-" + System.nanoTime() + ".log");
    ProcessBuilder b = new ProcessBuilder(Mpirun.java(Main.class.getName(), args)).redirectErrorStream(true).redirectOutput(log.toFile());
    b.environment().put("PVLL_NO_AVX512", "1");
    Process p = b.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("pvll " + args + " hung");
    }
    assertEquals(0, p.exitValue(), Files.readString(log));
  }
}
