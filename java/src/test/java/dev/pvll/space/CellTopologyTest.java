package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CellTopologyTest {
  @Test
  void fourNodesHaveFourteenEdgesInDartsOrder() {
    CellTopology t = CellTopology.of(4);
    assertEquals(14, t.edges());
    assertEquals(6, t.states());
    int[][] expected = {
      {2, 0}, {2, 1},
      {3, 0}, {3, 1}, {3, 2},
      {4, 0}, {4, 1}, {4, 2}, {4, 3},
      {5, 0}, {5, 1}, {5, 2}, {5, 3}, {5, 4}
    };
    for (int e = 0; e < 14; e++) {
      assertEquals(expected[e][0], t.nodeOf(e), "node of edge " + e);
      assertEquals(expected[e][1], t.inputOf(e), "input of edge " + e);
      assertEquals(e, t.edgeIndex(expected[e][0], expected[e][1]));
    }
    assertEquals(List.of(0, 2, 5, 9), List.of(t.firstEdgeOf(2), t.firstEdgeOf(3), t.firstEdgeOf(4), t.firstEdgeOf(5)));
    assertEquals(List.of(2, 3, 4, 5), t.intermediateNodes());
    assertTrue(t.fromCellInput(3));
    assertFalse(t.fromCellInput(4));
  }

  @Test
  void edgeCountsForOtherSizes() {
    for (int n = 1; n <= 7; n++) {
      CellTopology t = CellTopology.of(n);
      int sum = 0;
      for (int j = 0; j < n; j++) sum += 2 + j;
      assertEquals(sum, t.edges());
      assertEquals(sum, CellTopology.edgeCount(n));
      for (int e = 0; e < t.edges(); e++) assertEquals(e, t.edgeIndex(t.nodeOf(e), t.inputOf(e)));
    }
  }

  @Test
  void badIndicesAreRejectedWithTheirRange() {
    CellTopology t = CellTopology.of(4);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> t.nodeOf(14)).getMessage().contains("0..13"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> t.edgeIndex(3, 3)).getMessage().contains("0..2"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> t.edgeIndex(6, 0)).getMessage().contains("2..5"));
    assertThrows(IllegalArgumentException.class, () -> t.firstEdgeOf(1));
    assertThrows(IllegalArgumentException.class, () -> CellTopology.of(0));
  }
}
