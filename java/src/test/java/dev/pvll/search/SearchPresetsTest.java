package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SearchPresetsTest {
  @Test
  void oneShotIsTheDefaultBudgetWithFrozenLabels() {
    SearchConfig d = SearchPresets.byName("default"), o = SearchPresets.byName("one-shot");
    assertEquals("frozen", o.labelMode());
    assertEquals("opcount", o.predictor());
    assertEquals(0.1, o.archLr());
    assertEquals(150, o.steps());
    assertEquals(d.network(), o.network());
    assertEquals(d.warmup(), o.warmup());
    assertEquals(d.trainImages(), o.trainImages());
    assertEquals(d.validationImages(), o.validationImages());
    assertEquals(d.withLabelMode("frozen").labelMode(), o.labelMode());
    assertEquals("eval", d.labelMode(), "the default stays METHOD.md's");
  }

  @Test
  void unknownPresetNamesTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchPresets.byName("fast"));
    assertTrue(e.getMessage().contains("--preset") && e.getMessage().contains("one-shot"), e.getMessage());
  }
}
