package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void readsGzipAndRawFoldersPixelForPixel(boolean gz) {
    long seed = Seeds.next();
    byte[][] c = TestFiles.writeIdxFolder(dir, new Random(seed), 37, 11, 28, gz);
    TrainTest t = Datasets.readIdxFolder(dir, KnownDataset.FASHION_MNIST);
    assertEquals(37, t.train().size(), "seed " + seed);
    assertEquals(11, t.test().size());
    assertEquals(1, t.train().channels());
    assertEquals(28, t.train().height());
    for (int i = 0; i < 37; i++) {
      assertEquals(c[1][i], t.train().label(i));
      assertArrayEquals(java.util.Arrays.copyOfRange(c[0], i * 784, (i + 1) * 784), t.train().image(i), "image " + i + " seed " + seed);
    }
    assertEquals(c[0][784 * 5 + 28 * 3 + 7] & 0xFF, t.train().pixel(5, 0, 3, 7));
    int[] counts = t.test().classCounts();
    int[] expected = new int[10];
    for (byte l : c[3]) expected[l]++;
    assertArrayEquals(expected, counts);
  }

  @Test
  void wrongMagicNamesTheFile() throws Exception {
    byte[] file = TestFiles.idx(new int[] {2}, new byte[] {1, 2});
    file[0] = 0x12;
    Path p = dir.resolve("labels");
    Files.write(p, file);
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void wrongDataTypeIsAMagicError() throws Exception {
    byte[] file = TestFiles.idx(new int[] {2}, new byte[] {1, 2});
    file[2] = 0x0D;
    Path p = dir.resolve("floats.gz");
    Files.write(p, TestFiles.gzip(file));
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains("0x0d"), e.getMessage());
  }

  @Test
  void truncatedDataAndHugeClaimedCountsFailBeforeAllocating() throws Exception {
    byte[] file = TestFiles.idx(new int[] {10, 28, 28}, new byte[10 * 784]);
    Path p = dir.resolve("short");
    Files.write(p, java.util.Arrays.copyOf(file, file.length - 100));
    assertTrue(assertThrows(DatasetFormatException.class, () -> IdxReader.read(p)).getMessage().contains("truncated"));
    byte[] huge = TestFiles.idx(new int[] {Integer.MAX_VALUE, 65535, 65535}, new byte[16]);
    Path q = dir.resolve("huge.gz");
    Files.write(q, TestFiles.gzip(huge));
    assertTrue(assertThrows(DatasetFormatException.class, () -> IdxReader.read(q)).getMessage().contains("truncated"));
    Path r = dir.resolve("huge4");
    Files.write(r, TestFiles.idx(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[3]));
    assertTrue(assertThrows(DatasetFormatException.class, () -> IdxReader.read(r)).getMessage().contains("promises more than 3"));
    Path z = dir.resolve("zero");
    Files.write(z, TestFiles.idx(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 0}, new byte[0]));
    assertEquals(0, IdxReader.read(z).data().length);
  }

  @Test
  void truncatedGzipIsReported() throws Exception {
    byte[] gz = TestFiles.gzip(TestFiles.idx(new int[] {100, 28, 28}, TestFiles.randomBytes(new Random(1), 78400)));
    Path p = dir.resolve("cut.gz");
    Files.write(p, java.util.Arrays.copyOf(gz, gz.length / 2));
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void countsThatDisagreeNameBothFiles() throws Exception {
    Path images = dir.resolve("i");
    Path labels = dir.resolve("l");
    Files.write(images, TestFiles.idx(new int[] {3, 2, 2}, new byte[12]));
    Files.write(labels, TestFiles.idx(new int[] {4}, new byte[4]));
    DatasetFormatException e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.readDataset(images, labels, "x", KnownDataset.MNIST.classNames()));
    assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains(labels.toString())
        && e.getMessage().contains("3 images but 4 labels"), e.getMessage());
  }

  @Test
  void labelOutOfRange() throws Exception {
    Path images = dir.resolve("i");
    Path labels = dir.resolve("l");
    Files.write(images, TestFiles.idx(new int[] {3, 2, 2}, new byte[12]));
    Files.write(labels, TestFiles.idx(new int[] {3}, new byte[] {1, 10, 2}));
    DatasetFormatException e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.readDataset(images, labels, "x", KnownDataset.MNIST.classNames()));
    assertTrue(e.getMessage().startsWith(labels.toString()) && e.getMessage().contains("label 10 of image 1"), e.getMessage());
  }

  @Test
  void trailingBytesAndMissingFilesAreErrors() throws Exception {
    Path p = dir.resolve("long");
    Files.write(p, TestFiles.idx(new int[] {2}, new byte[] {1, 2, 3}));
    assertTrue(assertThrows(DatasetFormatException.class, () -> IdxReader.read(p)).getMessage().contains("after the data"));
    Path none = dir.resolve("none");
    assertTrue(assertThrows(DatasetFormatException.class, () -> IdxReader.read(none)).getMessage().contains("not found"));
  }
}
