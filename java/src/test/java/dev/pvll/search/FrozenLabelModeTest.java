package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label mode "frozen": both warm-up passes train, then the shared weights stay fixed and every label
 * is one validation pass, so a label is a function of the architecture alone; a run stopped in the
 * search phase and resumed ends as an uninterrupted run. (That frozen labels need a warm-up, and
 * that the message names the flags, is SearchFlagsTest's.)
 */
class FrozenLabelModeTest {
  @TempDir Path tmp;

  @Test
  void weightsFreezeAfterTheWarmupAndLabelsAreFunctionsOfTheArchitecture() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    SearchConfig config = SearchPresets.tiny().withLabelMode(LabelMode.FROZEN);
    Path whole = tmp.resolve("whole"), stopped = tmp.resolve("stopped");
    SearchEngine.Result reference;
    float[] afterWarmup;
    try (SearchRun run = SearchRun.start(config, train, whole)) {
      float[][] atFreeze = new float[1][];
      reference = run.run((phase, unit, total, line, s) -> {
        if (phase.equals("warmup") && atFreeze[0] == null) atFreeze[0] = run.engine().network().parameters().values().toArray();
      });
      afterWarmup = atFreeze[0];
      assertArrayEquals(afterWarmup, run.engine().network().parameters().values().toArray(), "weights changed after the warm-up");
    }
    List<JsonObject> lines = RunFiles.logWithoutTimes(whole);
    int trainLines = 0;
    for (JsonObject l : lines) {
      String phase = l.get("phase").getAsString();
      if (phase.equals("warmup_train")) {
        trainLines++;
        assertEquals("one per batch", l.get("architecture").getAsString(), "one-shot warm-up: " + l);
        continue;
      }
      assertFalse(l.has("train_loss"), "a frozen label trains nothing: " + l);
      assertTrue(l.has("val_loss"), "every unit after the warm-up's training labels: " + l);
    }
    assertEquals(2 * config.schedule().warmup(), trainLines, "both warm-up passes train");
    assertEquals(2 * config.schedule().warmup(), config.totalEpochs(), "the learning rate anneals over the warm-up");

    int stopAfter = 2 * config.schedule().warmup() + config.schedule().warmup() + 2; // in the search phase
    StopAndResume.assertMatchesUninterrupted(config, train, stopped, stopAfter, reference, lines);
    assertTrue(config.schedule().steps() >= 2, "the tiny preset searches");
  }
}
