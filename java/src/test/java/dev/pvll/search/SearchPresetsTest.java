package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The presets: one-shot is the default with frozen labels. (That an unknown name names the flag is SearchFlagsTest's.) */
class SearchPresetsTest {
  @Test
  void oneShotIsTheDefaultBudgetWithFrozenLabels() {
    SearchConfig d = SearchPresets.byName("default"), o = SearchPresets.byName("one-shot");
    assertEquals(LabelMode.FROZEN, o.labelMode());
    assertEquals(PredictorKind.RIDGE, o.psi().predictor());
    assertEquals(10, o.architecture().proposals());
    assertEquals(10, o.architecture().mutations());
    assertEquals(1, d.architecture().proposals(), "the default labels METHOD.md's single sample");
    assertEquals(0, d.architecture().mutations());
    assertEquals(200, o.psi().memoryCapacity());
    assertEquals(Architect.Draw.GENOTYPE, o.architecture().draw());
    assertEquals(FinalRule.RANKED, o.finalGenotype().rule());
    assertEquals(FinalRule.DARTS_RULE, d.finalGenotype().rule(), "the default keeps METHOD.md's rule");
    assertEquals(Architect.Draw.EVERY_EDGE, d.architecture().draw());
    assertEquals(0.1, o.architecture().lr());
    assertEquals(150, o.schedule().steps());
    assertEquals(d.network(), o.network());
    assertEquals(d.schedule().warmup(), o.schedule().warmup());
    assertEquals(d.data().trainImages(), o.data().trainImages());
    assertEquals(d.data().validationImages(), o.data().validationImages());
    assertEquals(d.withLabelMode(LabelMode.FROZEN).labelMode(), o.labelMode());
    assertEquals(LabelMode.EVAL, d.labelMode(), "the default stays METHOD.md's");
  }
}
