package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.compare.Comparison;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.PredictorKind;
import dev.pvll.search.SearchPresets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code pvll compare}'s flags reach the plan every method runs from; a bad one is named. */
class CompareCommandTest {
  private static Comparison.Plan plan(String... args) {
    CompareCommand command = new CompareCommand();
    new CommandLine(command).parseArgs(args);
    return SearchCommand.withFlagNames(command::plan);
  }

  @Test
  void validationImagesPerLabelAndThePsiReachThePlan() {
    Comparison.Plan p = plan("--val-images", "2560", "--predictor", "ridge", "--seeds", "3,4", "--methods", "pvll,evolution");
    assertEquals(2560, p.base().data().validationImages());
    assertEquals(PredictorKind.RIDGE, p.base().psi().predictor());
    assertEquals(LabelMode.FROZEN, p.base().labelMode(), "a comparison's labels are frozen whatever the preset says");
    assertEquals(List.of(3L, 4L), p.seeds());
    assertEquals(List.of(Method.PVLL, Method.EVOLUTION), p.methods());
    Comparison.Plan defaults = plan();
    assertEquals(SearchPresets.oneShot().data().validationImages(), defaults.base().data().validationImages(), "the preset's count without the flag");
  }

  @Test
  void aNegativeValidationImageCountNamesTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan("--val-images", "-1"));
    assertTrue(e.getMessage().startsWith("--val-images must be >= 0"), e.getMessage());
  }
}
