package dev.pvll.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchPresets;
import dev.pvll.space.Genotype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny comparison: equal budgets, one landscape per seed for every method, exact resume, bad plans refused. */
class ComparisonTest {
  @TempDir Path tmp;
  private static final Dataset TRAIN = Datasets.embeddedFashionMnist();

  static Comparison.Plan plan() {
    SearchConfig c = SearchPresets.tiny().withLabelMode(LabelMode.FROZEN);
    c = c.withArchitecture(c.architecture().withDraw(Architect.Draw.GENOTYPE))
        .withFinalGenotype(c.finalGenotype().withRule(FinalRule.RANKED).withFinalists(1))
        .withEvolution(new SearchConfig.Evolution(3, 2));
    return new Comparison.Plan(c, List.of(1L, 2L), List.of(Method.PVLL, Method.RANDOM, Method.EVOLUTION));
  }

  private static final class Stop extends RuntimeException {}

  static Comparison.Listener quiet(Runnable onUnit) {
    return new Comparison.Listener() {
      @Override
      public void stage(String what) {}

      @Override
      public void unitDone(String phase, int unit, int totalUnits, JsonObject logLine, double elapsedSeconds) {
        onUnit.run();
      }
    };
  }

  @Test
  void everyMethodSpendsTheSameBudgetOnTheSameFrozenWeights() throws Exception {
    Path dir = tmp.resolve("cmp");
    ComparisonSummary s = Comparison.start(plan(), TRAIN, dir, quiet(() -> {}));
    assertEquals(List.of(1L, 2L), s.seeds());
    for (Method m : plan().methods()) assertEquals(3 + 4 + 1, s.evaluations(m), m + ": warm-up, steps and finalists");
    for (long seed : s.seeds()) {
      try (SearchEngine supernet = SearchRun.open(dir.resolve("seed-" + seed).resolve("supernet"), TRAIN)) {
        for (Method m : plan().methods()) {
          LabelHistory h = s.runs().get(m).get(s.seeds().indexOf(seed));
          assertEquals(h.finalLabel(), supernet.score(Genotype.parse(h.genotype())).loss(), 0.0,
              m + " on seed " + seed + ": its label is the shared supernet's score of its genotype");
        }
      }
    }
    assertTrue(Files.exists(dir.resolve("comparison.json")) && Files.exists(dir.resolve("comparison.md")));
  }

  @Test
  void aStoppedComparisonResumesToTheSameFigures() throws Exception {
    Path whole = tmp.resolve("whole");
    Comparison.start(plan(), TRAIN, whole, quiet(() -> {}));
    Path cut = tmp.resolve("cut");
    int[] units = {0};
    assertThrows(Stop.class, () -> Comparison.start(plan(), TRAIN, cut, quiet(() -> {
      if (++units[0] == 40) throw new Stop(); // in seed 2's runs
    })));
    Comparison.resume(cut, TRAIN, quiet(() -> {}));
    assertEquals(Files.readString(whole.resolve("comparison.json")), Files.readString(cut.resolve("comparison.json")));
    assertThrows(IllegalArgumentException.class, () -> Comparison.start(plan(), TRAIN, cut, quiet(() -> {})), "a folder holding a comparison");
  }

  @Test
  void plansThatCannotCompareAreRefused() {
    Comparison.Plan p = plan();
    assertThrows(IllegalArgumentException.class, () -> new Comparison.Plan(p.base().withLabelMode(LabelMode.EVAL), p.seeds(), p.methods()));
    assertThrows(IllegalArgumentException.class, () -> new Comparison.Plan(p.base(), List.of(), p.methods()));
  }
}
