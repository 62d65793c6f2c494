package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {
  static Dataset randomData(long seed, int n, int c, int h, int w) {
    Random r = new Random(seed);
    byte[] px = new byte[n * c * h * w];
    r.nextBytes(px);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
    return new Dataset("random", px, labels, c, h, w, KnownDataset.CIFAR10.classNames());
  }

  /** Pad with zeros, crop, flip, normalise, cut out: written the slow, obvious way. */
  static float[] reference(Dataset d, int i, Augmentation a, Augmentation.Draw draw) {
    int c = d.channels();
    int h = d.height();
    int w = d.width();
    int p = a.padding();
    float[] mean = a.normalization().mean();
    float[] std = a.normalization().std();
    float[] out = new float[c * h * w];
    for (int ch = 0; ch < c; ch++) {
      int[][] padded = new int[h + 2 * p][w + 2 * p];
      for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) padded[y + p][x + p] = d.pixel(i, ch, y, x);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int cx = draw.flip() ? w - 1 - x : x;
          int v = padded[draw.dy() + y][draw.dx() + cx];
          int k = mean.length == 1 ? 0 : ch;
          out[(ch * h + y) * w + x] = (v / 255f - mean[k]) / std[k];
        }
      }
    }
    if (a.cutout() > 0) {
      int half = a.cutout() / 2;
      for (int ch = 0; ch < c; ch++) {
        for (int y = Math.max(0, draw.cutY() - half); y < Math.min(h, draw.cutY() + half); y++) {
          for (int x = Math.max(0, draw.cutX() - half); x < Math.min(w, draw.cutX() + half); x++) out[(ch * h + y) * w + x] = 0;
        }
      }
    }
    return out;
  }

  @Test
  void fastPathEqualsTheReferenceForEveryDraw() {
    long seed = Seeds.next();
    Dataset d = randomData(seed, 50, 3, 32, 32);
    List<Augmentation> augs = List.of(
        Augmentation.none(Normalization.CIFAR10),
        Augmentation.training(Normalization.CIFAR10),
        Augmentation.training(Normalization.CIFAR10).withCutout(16),
        Augmentation.training(Normalization.CIFAR10).withCutout(7).withPadding(40),
        new Augmentation(2, false, 0, Normalization.FASHION_MNIST));
    float[][] table = Normalization.CIFAR10.table(3);
    for (Augmentation a : augs) {
      float[][] t = a.normalization().table(3);
      for (int i = 0; i < d.size(); i++) {
        float[] out = new float[3072 + 5];
        a.apply(d, i, seed, 2, t, out, 5);
        float[] expected = reference(d, i, a, a.draw(seed, 2, i, 32, 32));
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(out, 5, out.length), 1e-6f, "seed " + seed + " image " + i + " " + a);
      }
    }
    assertEquals((0 / 255f - 0.4914f) / 0.2470f, table[0][0], 1e-6f);
  }

  @Test
  void drawsCoverTheirRangesAndDependOnSeedEpochAndIndex() {
    Augmentation a = Augmentation.training(Normalization.CIFAR10).withCutout(16);
    boolean[] seenDy = new boolean[9];
    int flips = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      Augmentation.Draw d = a.draw(11, 0, i, 32, 32);
      assertTrue(d.dy() >= 0 && d.dy() <= 8 && d.dx() >= 0 && d.dx() <= 8);
      assertTrue(d.cutY() >= 0 && d.cutY() < 32 && d.cutX() >= 0 && d.cutX() < 32);
      seenDy[d.dy()] = true;
      if (d.flip()) flips++;
    }
    for (boolean s : seenDy) assertTrue(s);
    assertTrue(Math.abs(flips - n / 2) < 200, "flips " + flips);
    assertEquals(a.draw(11, 3, 5, 32, 32), a.draw(11, 3, 5, 32, 32));
    assertNotEquals(a.draw(11, 3, 5, 32, 32), a.draw(11, 4, 5, 32, 32));
    assertNotEquals(a.draw(11, 3, 5, 32, 32), a.draw(12, 3, 5, 32, 32));
    Augmentation.Draw none = Augmentation.none(Normalization.CIFAR10).draw(11, 3, 5, 32, 32);
    assertEquals(0, none.dy());
    assertFalse(none.flip());
  }

  @Test
  void measuredNormalisationOfAUniformImageSet() {
    byte[] px = new byte[2 * 4];
    java.util.Arrays.fill(px, (byte) 51);
    Dataset d = new Dataset("flat", px, new int[] {0, 0}, 1, 2, 2, List.of("a"));
    Normalization n = Normalization.measure(d);
    assertEquals(0.2f, n.mean()[0], 1e-6f);
    assertEquals(1e-3f, n.std()[0], 1e-9f);
  }
}
