package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkConfigTest {
  @Test
  void cifar10SearchShape() {
    NetworkConfig c = NetworkConfig.cifar10Search();
    assertEquals(8, c.cells());
    assertEquals(16, c.channels());
    assertEquals(4, c.nodes());
    assertEquals(3, c.inputChannels());
    assertEquals(10, c.classes());
    assertEquals(32, c.imageSize());
    assertEquals(48, c.stemChannels());
    assertEquals(14, c.edges());
    assertEquals(List.of(2, 5), c.reductionCells());
    assertTrue(c.isReduction(2));
    assertFalse(c.isReduction(3));
    assertEquals(32, c.outputSize(1));
    assertEquals(16, c.outputSize(2));
    assertEquals(8, c.outputSize(7));
    assertEquals(16, c.cellChannels(0));
    assertEquals(32, c.cellChannels(2));
    assertEquals(64, c.cellChannels(7));
  }

  @Test
  void fashionMnistAndEvaluationShapes() {
    NetworkConfig f = NetworkConfig.fashionMnistSearch();
    assertEquals(1, f.inputChannels());
    assertEquals(7, f.outputSize(7));
    NetworkConfig eval = NetworkConfig.cifar10Search().withCells(20).withChannels(36);
    assertEquals(List.of(6, 13), eval.reductionCells());
    assertEquals(new NetworkConfig(20, 36, 4, 3, 10, 32, 3), eval);
    assertEquals(List.of(1, 2), new NetworkConfig(3, 4, 2, 1, 10, 8, 3).reductionCells());
    assertEquals(List.of(0, 1), new NetworkConfig(2, 4, 2, 1, 10, 8, 3).reductionCells());
  }

  @Test
  void validationNamesTheField() {
    assertMessage("cells", () -> new NetworkConfig(0, 16, 4, 3, 10, 32, 3));
    assertMessage("channels", () -> new NetworkConfig(8, 0, 4, 3, 10, 32, 3));
    assertMessage("nodes", () -> new NetworkConfig(8, 16, 0, 3, 10, 32, 3));
    assertMessage("inputChannels", () -> new NetworkConfig(8, 16, 4, 0, 10, 32, 3));
    assertMessage("classes", () -> new NetworkConfig(8, 16, 4, 3, 1, 32, 3));
    assertMessage("imageSize", () -> new NetworkConfig(8, 16, 4, 3, 10, -2, 3));
    assertMessage("stemMultiplier", () -> new NetworkConfig(8, 16, 4, 3, 10, 32, 0));
    // 30 -> 15 at cell 2; cell 5 would need FactorizedReduce on 15x15.
    String m = assertMessage("imageSize", () -> new NetworkConfig(8, 16, 4, 3, 10, 30, 3));
    assertTrue(m.contains("reduction cell 5"), m);
    assertThrows(IllegalArgumentException.class, () -> NetworkConfig.cifar10Search().isReduction(8));
  }

  private static String assertMessage(String field, org.junit.jupiter.api.function.Executable make) {
    String m = assertThrows(IllegalArgumentException.class, make).getMessage();
    assertTrue(m.startsWith(field + " "), m);
    return m;
  }
}
