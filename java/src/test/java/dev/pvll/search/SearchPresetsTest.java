package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The presets: the default is one-shot, which is METHOD.md's method at the same budget with frozen
 * labels and the parts README "Faithful and ours" lists; faithful is METHOD.md's. (That an unknown
 * name names the flag is SearchFlagsTest's.)
 */
class SearchPresetsTest {
  @Test
  void theDefaultIsOneShot() {
    assertEquals(SearchPresets.oneShot(), SearchPresets.byName("default"));
    assertEquals(SearchPresets.oneShot(), SearchPresets.byName("one-shot"));
    assertEquals(SearchPresets.faithful(), SearchPresets.byName("faithful"));
  }

  @Test
  void oneShotIsTheFaithfulBudgetWithFrozenLabels() {
    SearchConfig f = SearchPresets.byName("faithful"), o = SearchPresets.byName("one-shot");
    assertEquals(LabelMode.FROZEN, o.labelMode());
    assertEquals(PredictorKind.KERNEL, o.psi().predictor());
    assertEquals(10, o.architecture().proposals());
    assertEquals(10, o.architecture().mutations());
    assertEquals(200, o.psi().memoryCapacity());
    assertEquals(Architect.Draw.GENOTYPE, o.architecture().draw());
    assertEquals(FinalRule.RANKED, o.finalGenotype().rule());
    assertEquals(0.1, o.architecture().lr());
    assertEquals(150, o.schedule().steps());
    assertEquals(f.network(), o.network());
    assertEquals(f.schedule().warmup(), o.schedule().warmup());
    assertEquals(f.data().withValidationImages(4992), o.data(), "the faithful data, each label on the whole validation half");
    assertEquals(5000 / o.data().batchSize() * o.data().batchSize(), o.data().validationImages(),
        "as many whole batches as the embedded subset's 5,000 validation images hold");
  }

  @Test
  void faithfulIsMethodMdsMethod() {
    SearchConfig f = SearchPresets.faithful(), paper = SearchPresets.paper();
    assertEquals(LabelMode.EVAL, f.labelMode());
    assertEquals(PredictorKind.LSTM, f.psi().predictor());
    assertEquals(100, f.psi().memoryCapacity());
    assertEquals(1, f.architecture().proposals(), "METHOD.md labels the step's single sample");
    assertEquals(0, f.architecture().mutations());
    assertEquals(Architect.Draw.EVERY_EDGE, f.architecture().draw());
    assertEquals(FinalRule.DARTS_RULE, f.finalGenotype().rule());
    assertEquals(paper.architecture(), f.architecture(), "the paper's protocol with a smaller budget");
    assertEquals(paper.psi(), f.psi());
    assertEquals(paper.finalGenotype(), f.finalGenotype());
  }
}
