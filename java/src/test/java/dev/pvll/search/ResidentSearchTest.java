package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.run.SearchRun;
import dev.pvll.supernet.StepLaunch;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search whose epochs run the step as resident launches logs the same numbers, bit for bit, as
 * one whose steps are plain launches (each read back): per-architecture and per-batch epochs,
 * validation passes, the memory and the final genotype.
 */
class ResidentSearchTest {
  @TempDir Path tmp;

  private List<JsonObject> run(StepLaunch.Kind kind, SearchConfig config, Dataset train, Path out) throws Exception {
    try (SearchRun run = SearchRun.start(config.withLaunch(StepLaunch.of(kind)), train, out)) {
      run.run((phase, unit, total, line, s) -> {});
    }
    return RunFiles.logWithoutTimes(out);
  }

  @Test
  void theResidentStepLogsTheSameSearch() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    for (SearchConfig config : List.of(SearchPresets.tiny(), SearchPresets.tiny().withLabelMode(LabelMode.FROZEN))) {
      String name = config.labelMode().toString();
      List<JsonObject> plain = run(StepLaunch.Kind.PLAIN, config, train, tmp.resolve("plain-" + name));
      List<JsonObject> resident = run(StepLaunch.Kind.RESIDENT, config, train, tmp.resolve("resident-" + name));
      assertEquals(plain.size(), resident.size(), name);
      for (int i = 0; i < plain.size(); i++) assertEquals(plain.get(i), resident.get(i), name + ", log line " + i);
    }
  }
}
