package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.RunFolder;
import dev.pvll.run.SearchRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NaN guard: when the supernet's weights turn non-finite mid-run, the search stops with a
 * SearchDivergedException naming the loss, the checkpoint written after the last good unit is
 * left byte for byte as it was, and a resume from it finishes with the genotype of a run that
 * never diverged.
 */
class NanGuardTest {
  @TempDir Path tmp;

  @Test
  void divergedLossStopsAndLeavesTheLastGoodCheckpoint() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    SearchConfig config = SearchPresets.tiny();
    Path whole = tmp.resolve("whole"), poisoned = tmp.resolve("poisoned");
    SearchEngine.Result reference;
    try (SearchRun run = SearchRun.start(config, train, whole)) {
      reference = run.run(null);
    }

    int poisonAfterUnit = 2; // after the second warm-up unit: a later unit trains on the poisoned weights
    byte[][] lastGood = new byte[1][];
    try (SearchRun run = SearchRun.start(config, train, poisoned)) {
      SearchDivergedException e = assertThrows(SearchDivergedException.class, () -> run.run((phase, unit, total, line, s) -> {
        if (unit != poisonAfterUnit) return;
        try {
          lastGood[0] = Files.readAllBytes(poisoned.resolve(RunFolder.CHECKPOINT));
        } catch (java.io.IOException io) {
          throw new java.io.UncheckedIOException(io);
        }
        run.engine().network().parameters().values().fill(Float.NaN);
      }));
      assertTrue(e.getMessage().contains("loss became NaN"), "message names the loss: " + e.getMessage());
    }
    assertArrayEquals(lastGood[0], Files.readAllBytes(poisoned.resolve(RunFolder.CHECKPOINT)),
        "the checkpoint of the last good unit was rewritten");
    long lines = Files.readAllLines(poisoned.resolve("log.jsonl")).size();
    assertEquals(poisonAfterUnit, lines, "log lines after the stop");

    try (SearchRun run = SearchRun.resume(poisoned, train)) {
      SearchEngine.Result resumed = run.run(null);
      assertEquals(reference.genotype().toDartsString(), resumed.genotype().toDartsString(), "genotype after resuming");
      assertEquals(reference.finalValidationLoss(), resumed.finalValidationLoss(), 0.0, "final validation loss after resuming");
    }
  }
}
