package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SplitsTest {
  @Test
  void defaultIsFirstHalfTrainSecondHalfValidation() {
    Splits.Split s = Splits.trainValidation(11);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, s.train());
    assertArrayEquals(new int[] {5, 6, 7, 8, 9, 10}, s.validation());
  }

  @Test
  void fractionAndDeterministicShuffle() {
    Splits.Split a = Splits.trainValidation(1000, 0.8, OptionalLong.of(42));
    Splits.Split b = Splits.trainValidation(1000, 0.8, OptionalLong.of(42));
    Splits.Split c = Splits.trainValidation(1000, 0.8, OptionalLong.of(43));
    assertEquals(800, a.train().length);
    assertEquals(200, a.validation().length);
    assertArrayEquals(a.train(), b.train());
    assertArrayEquals(a.validation(), b.validation());
    assertFalse(Arrays.equals(a.train(), c.train()));
    int[] all = new int[1000];
    System.arraycopy(a.train(), 0, all, 0, 800);
    System.arraycopy(a.validation(), 0, all, 800, 200);
    Arrays.sort(all);
    assertArrayEquals(Splits.range(1000), all, "train and validation together are a permutation");
  }

  @Test
  void epochOrderDependsOnSeedAndEpochOnly() {
    int[] idx = Splits.range(100);
    assertArrayEquals(Splits.shuffled(idx, 7, 3), Splits.shuffled(idx, 7, 3));
    assertFalse(Arrays.equals(Splits.shuffled(idx, 7, 3), Splits.shuffled(idx, 7, 4)));
    int[] s = Splits.shuffled(idx, 7, 3);
    Arrays.sort(s);
    assertArrayEquals(idx, s);
  }

  @Test
  void badFractions() {
    assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(10, 0, OptionalLong.empty()));
    assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(10, 1, OptionalLong.empty()));
    assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(10, Double.NaN, OptionalLong.empty()));
    assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(1, 0.5, OptionalLong.empty()));
  }
}
