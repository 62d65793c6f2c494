package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.search.LabelMode;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchPresets;
import org.junit.jupiter.api.Test;

/**
 * A bad setting is reported by the command line with the flag that sets it (the configuration
 * names its settings by their path; only the command line knows flags). Moved here from
 * FrozenLabelModeTest and SearchPresetsTest with the flag names.
 */
class SearchFlagsTest {
  @Test
  void frozenLabelsNeedAWarmup() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchCommand.withFlagNames(() -> {
      SearchConfig tiny = SearchPresets.tiny();
      return tiny.withSchedule(tiny.schedule().withLength(0, 3)).withLabelMode(LabelMode.FROZEN);
    }));
    assertTrue(e.getMessage().contains("--label-mode frozen"), e.getMessage());
  }

  @Test
  void unknownPresetNamesTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchCommand.withFlagNames(() -> SearchPresets.byName("fast")));
    assertTrue(e.getMessage().contains("--preset") && e.getMessage().contains("one-shot"), e.getMessage());
  }

  @Test
  void theArchitectureLearningRateNamesItsFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchCommand.withFlagNames(() -> {
      SearchConfig tiny = SearchPresets.tiny();
      return tiny.withArchitecture(tiny.architecture().withLr(-1));
    }));
    assertTrue(e.getMessage().startsWith("--arch-lr must be > 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SearchPresets.tiny().architecture().withLr(0), "the configuration checks it too");
  }
}
