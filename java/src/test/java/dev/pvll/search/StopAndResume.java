package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.run.SearchRun;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.List;

/** A run stopped after a given unit and resumed from its checkpoint must end as an uninterrupted run. */
final class StopAndResume {
  private StopAndResume() {}

  private static final class Stop extends RuntimeException {}

  /**
   * Starts config in dir, stops it (an exception from the listener) after unit stopAfter, resumes
   * it and checks genotype, final label and every log line (times aside) against the uninterrupted
   * run's result and log.
   */
  static void assertMatchesUninterrupted(SearchConfig config, Dataset train, Path dir, int stopAfter, SearchEngine.Result reference,
      List<JsonObject> referenceLog) throws Exception {
    try (SearchRun run = SearchRun.start(config, train, dir)) {
      assertThrows(Stop.class, () -> run.run((phase, unit, total, line, s) -> {
        if (unit == stopAfter) throw new Stop();
      }));
    }
    try (SearchRun run = SearchRun.resume(dir, train)) {
      SearchEngine.Result resumed = run.run(null);
      assertEquals(reference.genotype().toDartsString(), resumed.genotype().toDartsString(), "genotype after resuming");
      assertEquals(reference.finalValidationLoss(), resumed.finalValidationLoss(), 0.0, "final label after resuming");
    }
    List<JsonObject> again = RunFiles.logWithoutTimes(dir);
    assertEquals(referenceLog.size(), again.size(), "log lengths");
    for (int i = 0; i < referenceLog.size(); i++) assertEquals(referenceLog.get(i), again.get(i), "log line " + (i + 1));
  }
}
