package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search whose epochs run the device-resident step (forced on the CPU) logs the same numbers,
 * bit for bit, as one with SupernetTrainer's plain steps: per-architecture and per-batch epochs,
 * validation passes, the memory and the final genotype.
 */
class ResidentSearchTest {
  @TempDir Path tmp;

  private List<JsonObject> run(String resident, SearchConfig config, Dataset train, Path out) throws Exception {
    String before = System.getProperty(SupernetEpochs.RESIDENT_PROPERTY);
    System.setProperty(SupernetEpochs.RESIDENT_PROPERTY, resident);
    try (SearchEngine engine = SearchEngine.start(config, train, out)) {
      engine.run((phase, unit, total, line, s) -> {});
    } finally {
      if (before == null) System.clearProperty(SupernetEpochs.RESIDENT_PROPERTY);
      else System.setProperty(SupernetEpochs.RESIDENT_PROPERTY, before);
    }
    return RunFiles.logWithoutTimes(out);
  }

  @Test
  void theResidentStepLogsTheSameSearch() throws Exception {
    Dataset train = Datasets.embeddedFashionMnist();
    for (SearchConfig config : List.of(SearchPresets.tiny(), SearchPresets.tiny().withLabelMode("frozen"))) {
      String name = config.labelMode();
      List<JsonObject> plain = run("off", config, train, tmp.resolve("plain-" + name));
      List<JsonObject> resident = run("on", config, train, tmp.resolve("resident-" + name));
      assertEquals(plain.size(), resident.size(), name);
      for (int i = 0; i < plain.size(); i++) assertEquals(plain.get(i), resident.get(i), name + ", log line " + i);
    }
  }
}
