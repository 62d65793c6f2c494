package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label mode "frozen": both warm-up passes train, then the shared weights stay fixed and every label
 * is one validation pass, so a label is a function of the architecture alone; a run stopped in the
 * search phase and resumed ends as an uninterrupted run.
 */
class FrozenLabelModeTest {
  @TempDir Path tmp;

  @Test
  void weightsFreezeAfterTheWarmupAndLabelsAreFunctionsOfTheArchitecture() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    SearchConfig config = SearchPresets.tiny().withLabelMode("frozen");
    Path whole = tmp.resolve("whole"), stopped = tmp.resolve("stopped");
    SearchEngine.Result reference;
    float[] afterWarmup;
    try (SearchEngine engine = SearchEngine.start(config, train, whole)) {
      float[][] atFreeze = new float[1][];
      reference = engine.run((phase, unit, total, line, s) -> {
        if (phase.equals("warmup") && atFreeze[0] == null) atFreeze[0] = engine.network().parameters().values().toArray();
      });
      afterWarmup = atFreeze[0];
      assertArrayEquals(afterWarmup, engine.network().parameters().values().toArray(), "weights changed after the warm-up");
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
    assertEquals(2 * config.warmup(), trainLines, "both warm-up passes train");
    assertEquals(2 * config.warmup(), config.totalEpochs(), "the learning rate anneals over the warm-up");

    int stopAfter = 2 * config.warmup() + config.warmup() + 2; // in the search phase
    StopAndResume.assertMatchesUninterrupted(config, train, stopped, stopAfter, reference, lines);
    assertTrue(config.steps() >= 2, "the tiny preset searches");
  }

  @Test
  void frozenLabelsNeedAWarmup() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SearchConfig("pvll", "x", null, SearchPresets.tiny().network(), 8, 0, 0, 0.5, 0.025, 0.001, 0.9, 3e-4, 5, 0, 0, 3, 10, "lstm",
            false, 10, 0.95, 1e-3, 3e-4, 1e-3, 0.1, false, "frozen", 1, "cpu"));
    assertTrue(e.getMessage().contains("--label-mode frozen"), e.getMessage());
  }
}
