package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pvll.run.RunJson;
import org.junit.jupiter.api.Test;

/** The memory's FIFO order, copies, checks and its JSON form. */
class MemoryTest {
  @Test
  void keepsTheLastCapacityPairsOldestFirst() {
    Memory m = new Memory(3);
    assertEquals(100, new Memory().capacity());
    for (int i = 0; i < 5; i++) m.add(new double[] {i, -i}, 0.1 * i);
    assertEquals(3, m.size());
    assertArrayEquals(new double[] {0.2, 0.30000000000000004, 0.4}, m.labels());
    assertArrayEquals(new double[] {2, -2}, m.entries().get(0).h());
  }

  @Test
  void storesCopiesAndRejectsBadPairs() {
    Memory m = new Memory(2);
    double[] h = {1, 2};
    m.add(h, 0.5);
    h[0] = 99;
    assertEquals(1, m.entries().get(0).h()[0]);
    assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {1, 2, 3}, 0.5));
    assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {1, 2}, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {Double.POSITIVE_INFINITY, 2}, 1));
    assertThrows(IllegalArgumentException.class, () -> new Memory(0));
  }

  @Test
  void jsonRoundTripIsExact() {
    Memory m = new Memory(4);
    SplitMix64 r = new SplitMix64(5);
    for (int i = 0; i < 6; i++) m.add(new double[] {r.nextGaussian(), r.nextDouble(), Math.PI / (i + 1)}, 0.3 + r.nextDouble());
    Memory back = Memory.fromState(RunJson.COMPACT.fromJson(RunJson.COMPACT.toJson(m.state()), Memory.State.class));
    assertEquals(4, back.capacity());
    assertArrayEquals(m.labels(), back.labels());
    for (int i = 0; i < m.size(); i++) assertArrayEquals(m.entries().get(i).h(), back.entries().get(i).h());
    assertThrows(IllegalArgumentException.class, () -> Memory.fromState(RunJson.COMPACT.fromJson(
        "{\"capacity\":1,\"entries\":[{\"h\":[1],\"label\":1},{\"h\":[1],\"label\":2}]}", Memory.State.class)));
  }
}
