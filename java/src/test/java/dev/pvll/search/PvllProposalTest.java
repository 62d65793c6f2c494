package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which of a step's proposals PVLL labels: psi's lowest among the genotypes not yet measured. */
class PvllProposalTest {
  @Test
  void theLowestPredictionAmongTheUnmeasuredIsLabelled() {
    assertEquals(2, PvllStrategy.lowest(new double[] {0.9, 0.5, 0.7, 0.8}, new boolean[] {false, true, false, false}),
        "0.5 is measured already: its label is known");
    assertEquals(1, PvllStrategy.lowest(new double[] {0.9, 0.5, 0.7}, new boolean[3]));
  }

  @Test
  void tiesGoToTheEarliestAndAllMeasuredFallsBackToTheFirst() {
    assertEquals(1, PvllStrategy.lowest(new double[] {0.9, 0.5, 0.5}, new boolean[3]));
    assertEquals(0, PvllStrategy.lowest(new double[] {0.9, 0.5}, new boolean[] {true, true}));
  }
}
