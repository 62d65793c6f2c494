package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrimitiveTest {
  @Test
  void orderIsTheColumnOrderOfA() {
    List<String> names = Arrays.stream(Primitive.values()).map(Primitive::dartsName).toList();
    assertEquals(
        List.of("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
            "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"),
        names);
    assertEquals(Primitive.COUNT, Primitive.values().length);
    for (Primitive p : Primitive.values()) {
      assertEquals(p.ordinal(), p.index());
      assertSame(p, Primitive.at(p.index()));
    }
  }

  @Test
  void lookupByNameIgnoresCaseAndBlanks() {
    for (Primitive p : Primitive.values()) assertSame(p, Primitive.byName(p.dartsName()));
    assertSame(Primitive.SEP_CONV_5X5, Primitive.byName(" SEP_CONV_5x5 "));
    assertNull(Primitive.find("sep_conv_7x7"));
    assertNull(Primitive.find(null));
  }

  @Test
  void unknownNameListsTheValidOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Primitive.byName("conv_7x1_1x7"));
    assertTrue(e.getMessage().contains("'conv_7x1_1x7'"), e.getMessage());
    for (Primitive p : Primitive.values()) {
      assertTrue(e.getMessage().contains(p.dartsName()), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Primitive.at(8));
    assertThrows(IllegalArgumentException.class, () -> Primitive.at(-1));
  }

  @Test
  void kernelMetadata() {
    assertEquals(3, Primitive.SEP_CONV_3X3.kernelSize());
    assertEquals(1, Primitive.SEP_CONV_3X3.padding());
    assertEquals(5, Primitive.SEP_CONV_5X5.kernelSize());
    assertEquals(2, Primitive.SEP_CONV_5X5.padding());
    assertEquals(2, Primitive.DIL_CONV_3X3.dilation());
    assertEquals(2, Primitive.DIL_CONV_3X3.padding());
    assertEquals(4, Primitive.DIL_CONV_5X5.padding());
    assertEquals(1, Primitive.MAX_POOL_3X3.padding());
    assertTrue(Primitive.AVG_POOL_3X3.isPool());
    assertFalse(Primitive.AVG_POOL_3X3.isConv());
    assertTrue(Primitive.DIL_CONV_5X5.isConv());
    assertFalse(Primitive.SKIP_CONNECT.isConv());
    assertFalse(Primitive.NONE.isPool());
    assertEquals("skip_connect", Primitive.SKIP_CONNECT.toString());
  }
}
