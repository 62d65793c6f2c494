package dev.pvll.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.data.Datasets;
import dev.pvll.kernels.CudaGraph;
import dev.pvll.search.Method;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchPresets;
import dev.pvll.supernet.StepLaunch;
import dev.pvll.testing.RunFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A search's run folder: the configuration it writes reads back whole, old ones load or name what is wrong, no warm-up runs. */
class SearchRunTest {
  @TempDir Path tmp;

  @Test
  void theConfigurationReadsBackWholeLaunchIncluded() throws Exception {
    SearchConfig tiny = SearchPresets.tiny();
    SearchConfig config = tiny.withMethod(Method.RANDOM).withLaunch(new StepLaunch(StepLaunch.Kind.RESIDENT, true, CudaGraph.SwitchSetting.ROOT))
        .withArchitecture(tiny.architecture().withLr(0.02));
    Path dir = tmp.resolve("run");
    try (SearchRun run = SearchRun.start(config, Datasets.embeddedFashionMnist(), dir)) {
      assertEquals(config, SearchConfigJson.read(RunJson.object(Files.readString(dir.resolve(RunFolder.CONFIG)), "config.json"), "config.json"));
    }
    String text = Files.readString(dir.resolve(RunFolder.CONFIG));
    assertTrue(text.contains("\"kind\": \"resident\"") && text.contains("\"switches\": \"root\"") && text.contains("\"method\": \"random\""), text);
  }

  @Test
  void aCheckpointOfEarlierVersionsLoadsAndABadOneNamesTheSetting() throws Exception {
    Path dir = tmp.resolve("old");
    Files.createDirectories(dir);
    try (InputStream in = getClass().getResourceAsStream("/dev/pvll/golden/search-pvll-stopped/checkpoint.bin")) {
      Files.copy(in, dir.resolve(RunFolder.CHECKPOINT));
    }
    // written before the configuration was nested: the flat form, no launch setting
    assertEquals(SearchPresets.tiny(), SearchRun.savedConfig(dir));

    Checkpoint.Content c = Checkpoint.read(dir.resolve(RunFolder.CHECKPOINT));
    JsonObject state = RunJson.object(c.json(), "state");
    state.getAsJsonObject("config").remove("archLr");
    Checkpoint.write(dir.resolve(RunFolder.CHECKPOINT), RunJson.COMPACT.toJson(state), c.arrays());
    Exception e = assertThrows(Exception.class, () -> SearchRun.savedConfig(dir));
    assertTrue(e.getMessage().contains("architecture.lr"), e.getMessage());

    state.remove("config");
    Checkpoint.write(dir.resolve(RunFolder.CHECKPOINT), RunJson.COMPACT.toJson(state), c.arrays());
    e = assertThrows(Exception.class, () -> SearchRun.savedConfig(dir));
    assertTrue(e.getMessage().contains("no configuration"), e.getMessage());
  }

  @Test
  void aSearchWithoutWarmupStartsAtItsSteps() throws Exception {
    SearchConfig tiny = SearchPresets.tiny();
    SearchConfig config = tiny.withSchedule(tiny.schedule().withLength(0, 2));
    Path dir = tmp.resolve("no-warmup");
    SearchEngine.Result r;
    try (SearchRun run = SearchRun.start(config, Datasets.embeddedFashionMnist(), dir)) {
      r = run.run(null);
    }
    List<JsonObject> lines = RunFiles.logWithoutTimes(dir);
    assertEquals(List.of("search", "search", "final"), lines.stream().map(l -> l.get("phase").getAsString()).toList());
    assertTrue(Double.isFinite(r.finalValidationLoss()));
    assertTrue(Double.isNaN(r.warmupMeanLoss()), "no warm-up labels");
  }
}
