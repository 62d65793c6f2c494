package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.testing.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BatchLoaderTest {
  /** All batches' images and labels concatenated, read back from native memory. */
  static float[][] drain(BatchLoader loader, List<Integer> sizes) {
    List<float[]> images = new ArrayList<>();
    List<float[]> labels = new ArrayList<>();
    while (loader.hasNext()) {
      Batch b = loader.next();
      sizes.add(b.size());
      assertEquals(b.size(), b.images().dim(0));
      assertEquals(b.size() * (b.images().size() / b.size() + 1), b.block().size());
      images.add(b.images().toArray());
      labels.add(b.labels().toArray());
    }
    return new float[][] {concat(images), concat(labels)};
  }

  static float[] concat(List<float[]> parts) {
    int n = parts.stream().mapToInt(p -> p.length).sum();
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  @Test
  void batchesHoldTheAugmentedImagesAndFloatLabelsInOrder() {
    long seed = Seeds.next();
    Dataset d = AugmentationTest.randomData(seed, 50, 3, 8, 8);
    int[] idx = {4, 9, 0, 33, 12, 7, 49, 1, 2, 3, 5};
    Augmentation a = Augmentation.training(Normalization.CIFAR10).withCutout(4);
    List<Integer> sizes = new ArrayList<>();
    float[][] got;
    try (BatchLoader loader = new BatchLoader(d, idx, 4, a, seed, 3)) {
      assertEquals(3, loader.batchCount());
      got = drain(loader, sizes);
      assertThrows(NoSuchElementException.class, loader::next);
    }
    assertEquals(List.of(4, 4, 3), sizes);
    float[][] table = a.normalization().table(3);
    float[] expected = new float[idx.length * 192];
    for (int k = 0; k < idx.length; k++) {
      a.apply(d, idx[k], seed, 3, table, expected, k * 192);
      assertEquals(d.label(idx[k]), got[1][k], "label " + k);
    }
    assertArrayEquals(expected, got[0], "seed " + seed);
  }

  @Test
  void sameSamplesSameImagesWhateverTheBatchSize() {
    long seed = Seeds.next();
    Dataset d = AugmentationTest.randomData(seed, 40, 1, 6, 6);
    int[] idx = Splits.range(40);
    Augmentation a = Augmentation.training(Normalization.FASHION_MNIST).withCutout(3);
    float[][] x;
    float[][] y;
    try (BatchLoader l = new BatchLoader(d, idx, 7, a, seed, 1)) {
      x = drain(l, new ArrayList<>());
    }
    try (BatchLoader l = new BatchLoader(d, idx, 40, a, seed, 1)) {
      y = drain(l, new ArrayList<>());
    }
    assertArrayEquals(x[0], y[0]);
    try (BatchLoader l = new BatchLoader(d, idx, 40, a, seed, 2)) {
      assertFalse(Arrays.equals(x[0], drain(l, new ArrayList<>())[0]), "another epoch draws other augmentations");
    }
  }

  @Test
  void shuffleAndDropLast() {
    Dataset d = AugmentationTest.randomData(5, 30, 1, 2, 2);
    BatchLoader.Options o = BatchLoader.Options.of(8, Augmentation.none(Normalization.unit(1)), 9, 0).withShuffle(true).withDropLast(true);
    List<Integer> sizes = new ArrayList<>();
    float[][] got;
    int[] order;
    try (BatchLoader l = new BatchLoader(d, Splits.range(30), o)) {
      order = l.order();
      got = drain(l, sizes);
    }
    assertEquals(List.of(8, 8, 8), sizes);
    assertArrayEquals(Splits.shuffled(Splits.range(30), 9, 0), order);
    for (int k = 0; k < 24; k++) assertEquals(d.label(order[k]), got[1][k]);
    assertEquals(d.pixel(order[5], 0, 1, 1) / 255f, got[0][5 * 4 + 3], 1e-7f);
  }

  @Test
  void previousBatchIsInvalidAfterNextAndEverythingAfterClose() {
    Dataset d = AugmentationTest.randomData(6, 20, 1, 4, 4);
    Tensor kept;
    try (Scope scope = Scope.open(); BatchLoader l = new BatchLoader(d, Splits.range(20), 5, Augmentation.none(Normalization.unit(1)), 1, 0)) {
      Batch first = l.next();
      first.images().toArray();
      Batch second = l.next();
      assertThrows(IllegalStateException.class, () -> first.images().toArray());
      kept = second.labels();
      assertEquals(5, kept.toArray().length);
      assertEquals(0, scope.ownedCount(), "loader buffers are not owned by the caller's scope");
    }
    assertThrows(IllegalStateException.class, kept::toArray);
  }

  @Test
  void closingEarlyStopsTheThreadAndEmptyIndicesGiveNoBatch() {
    Dataset d = AugmentationTest.randomData(7, 200, 3, 16, 16);
    for (int i = 0; i < 20; i++) {
      try (BatchLoader l = new BatchLoader(d, Splits.range(200), 8, Augmentation.training(Normalization.CIFAR10), i, 0)) {
        if (i % 2 == 0) l.next();
      }
    }
    try (BatchLoader l = new BatchLoader(d, new int[0], 8, Augmentation.none(Normalization.CIFAR10), 0, 0)) {
      assertFalse(l.hasNext());
    }
    assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, new int[] {200}, 8, Augmentation.none(Normalization.CIFAR10), 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, new int[] {1}, 8, Augmentation.none(Normalization.unit(2)), 0, 0));
    assertTrue(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("pvll-batch-loader")).count() == 0, "every loader thread has ended");
  }
}
