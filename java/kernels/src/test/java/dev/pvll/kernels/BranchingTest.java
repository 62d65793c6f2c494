package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host-side branching: the case a value names, none outside [0, cases) or for NaN. */
class BranchingTest {
  @Test
  void theValueNamesTheCaseAndOutOfRangeRunsNothing() {
    float[] values = {0, 2, 2.9f, 3, -1, Float.NaN};
    List<Integer> expected = List.of(0, 2, 2);
    try (Scope s = Scope.open()) {
      Tensor selector = Tensor.of(Device.cpu(), values, values.length);
      for (Branching b : List.of(Branching.reading(), Branching.fromHost(values))) {
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < values.length; i++) b.branch(selector, i, 3, ran::add);
        assertEquals(expected, ran);
      }
    }
  }
}
