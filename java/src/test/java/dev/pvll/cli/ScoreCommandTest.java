package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.search.LabelMode;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchPresets;
import dev.pvll.space.Genotype;
import dev.pvll.testing.CapturedStreams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code pvll score}: genotypes scored on a finished frozen-label run's weights; the run's files stay as they were. */
@Timeout(120)
class ScoreCommandTest {
  @TempDir Path dir;
  @RegisterExtension final CapturedStreams io = new CapturedStreams();

  @Test
  void scoresEqualTheRunsOwnLabelsAndTheRankingAgainstASummary() throws Exception {
    Path run = dir.resolve("run");
    SearchEngine.Result result;
    try (SearchRun search = SearchRun.start(SearchPresets.tiny().withLabelMode(LabelMode.FROZEN), Datasets.embeddedFashionMnist(), run)) {
      result = search.run(null);
    }
    byte[] checkpoint = Files.readAllBytes(run.resolve("checkpoint.bin"));
    byte[] log = Files.readAllBytes(run.resolve("log.jsonl"));
    Genotype found = result.genotype();
    // a pvll train summary: the found genotype and two others with made-up accuracies
    String other1 = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 1), ('max_pool_3x3', 0), "
        + "('dil_conv_3x3', 2), ('avg_pool_3x3', 1), ('sep_conv_5x5', 0)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
        + "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
        + "('max_pool_3x3', 1)], reduce_concat=range(2, 6))";
    String summary = "[{\"name\":\"found\",\"genotype\":\"" + found.toDartsString() + "\",\"mean\":0.8},"
        + "{\"name\":\"other\",\"genotype\":\"" + other1 + "\",\"mean\":0.7}]";
    Path summaryFile = dir.resolve("summary.json");
    Files.writeString(summaryFile, summary);

    int code = Main.run("score", run.toString(), "--train-summary", summaryFile.toString(), "--random", "2");
    assertEquals(0, code, io.err());
    String text = io.out();
    List<String> lines = text.lines().toList();
    String foundLine = lines.stream().filter(l -> l.startsWith("found ")).findFirst().orElseThrow(() -> new AssertionError(text));
    double scored = Double.parseDouble(foundLine.trim().split("\\s+")[1]);
    // with frozen labels a score is the label: the final unit measured the found genotype the same way
    assertEquals(result.finalValidationLoss(), scored, 5e-5, text);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("random-2 ")), text);
    assertTrue(text.contains("Kendall tau between -(val loss) and test accuracy over 2 genotypes: "), text);
    assertArrayEquals(checkpoint, Files.readAllBytes(run.resolve("checkpoint.bin")), "the run's checkpoint changed");
    assertArrayEquals(log, Files.readAllBytes(run.resolve("log.jsonl")), "the run's log changed");

    Files.writeString(summaryFile, "{\"not\": \"an array\"}");
    assertEquals(2, Main.run("score", run.toString(), "--train-summary", summaryFile.toString()));
    assertTrue(io.err().contains("--train-summary " + summaryFile), io.err());
    assertEquals(2, Main.run("score", dir.resolve("nothing").toString(), "--random", "1"));
    assertTrue(io.err().contains("RUN " + dir.resolve("nothing") + ": not a folder"), io.err());
  }
}
