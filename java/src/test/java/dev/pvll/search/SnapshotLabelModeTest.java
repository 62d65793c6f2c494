package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.testing.RunFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label mode "snapshot": every label is an epoch from the weights saved after the first warm-up
 * pass, at one learning rate; the snapshot travels in the checkpoint, so a run stopped in the
 * search phase and resumed ends as an uninterrupted run.
 */
class SnapshotLabelModeTest {
  @TempDir Path tmp;

  @Test
  void labelsUseOneLearningRateAndResumeExactly() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    SearchConfig config = SearchPresets.tiny().withLabelMode(LabelMode.SNAPSHOT);
    Path whole = tmp.resolve("whole"), stopped = tmp.resolve("stopped");
    SearchEngine.Result reference;
    try (SearchRun run = SearchRun.start(config, train, whole)) {
      reference = run.run(null);
    }
    List<JsonObject> lines = log(whole);
    Set<Double> labelRates = new HashSet<>(), warmupRates = new HashSet<>();
    for (JsonObject l : lines) {
      String phase = l.get("phase").getAsString();
      (phase.equals("warmup_train") ? warmupRates : labelRates).add(l.get("lr").getAsDouble());
    }
    assertEquals(1, labelRates.size(), "labels at one learning rate: " + labelRates);
    assertTrue(warmupRates.size() > 1, "the first warm-up pass follows the cosine schedule: " + warmupRates);

    int stopAfter = 2 * config.schedule().warmup() + 2; // two search steps in: the snapshot is in the checkpoint
    StopAndResume.assertMatchesUninterrupted(config, train, stopped, stopAfter, reference, lines);
  }

  private static List<JsonObject> log(Path dir) throws IOException {
    return RunFiles.logWithoutTimes(dir);
  }
}
