package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReaderTest {
  @TempDir Path dir;

  private static void assertRecords(byte[] file, int labelBytes, int use, Dataset d, int first) {
    int rec = labelBytes + 3072;
    for (int r = 0; r < file.length / rec; r++) {
      assertEquals(file[r * rec + use] & 0xFF, d.label(first + r), "label of record " + r);
      assertArrayEquals(Arrays.copyOfRange(file, r * rec + labelBytes, (r + 1) * rec), d.image(first + r), "pixels of record " + r);
    }
  }

  @Test
  void cifar10FromFolderAndFromArchiveAgree() throws Exception {
    long seed = Seeds.next();
    Map<String, byte[]> files = TestFiles.cifar10Files(new Random(seed), 7);
    Path folder = dir.resolve("extracted/cifar-10-batches-bin");
    TestFiles.writeFiles(folder, files);
    Path archive = dir.resolve("cifar-10-binary.tar.gz");
    Files.write(archive, TestFiles.gzip(TestFiles.tar("cifar-10-batches-bin", files)));
    for (Path source : new Path[] {folder, folder.getParent(), archive}) {
      TrainTest t = CifarReader.readCifar10(source);
      assertEquals(35, t.train().size(), "seed " + seed + " source " + source);
      assertEquals(7, t.test().size());
      assertEquals(3, t.train().channels());
      assertEquals(32, t.train().width());
      assertEquals(KnownDataset.CIFAR10.classNames(), t.train().classNames());
      for (int b = 0; b < 5; b++) assertRecords(files.get(CifarReader.CIFAR10_TRAIN.get(b)), 1, 0, t.train(), 7 * b);
      assertRecords(files.get(CifarReader.CIFAR10_TEST), 1, 0, t.test(), 0);
    }
  }

  @Test
  void cifar100FineAndCoarseFromArchiveWithLongNames() throws Exception {
    long seed = Seeds.next();
    Map<String, byte[]> files = TestFiles.cifar100Files(new Random(seed), 9, 4);
    String longPrefix = "x".repeat(90) + "/cifar-100-binary"; // over 100 bytes: GNU long-name entries
    Path archive = dir.resolve("cifar-100-binary.tar.gz");
    Files.write(archive, TestFiles.gzip(TestFiles.tar(longPrefix, files)));
    TrainTest fine = CifarReader.readCifar100(archive, CifarReader.Cifar100Labels.FINE);
    assertEquals(100, fine.train().classCount());
    assertRecords(files.get("train.bin"), 2, 1, fine.train(), 0);
    assertRecords(files.get("test.bin"), 2, 1, fine.test(), 0);
    TrainTest coarse = CifarReader.readCifar100(archive, CifarReader.Cifar100Labels.COARSE);
    assertEquals(KnownDataset.CIFAR100_COARSE_NAMES, coarse.train().classNames());
    assertRecords(files.get("train.bin"), 2, 0, coarse.train(), 0);
  }

  @Test
  void truncatedBatchNamesTheFile() throws Exception {
    Map<String, byte[]> files = TestFiles.cifar10Files(new Random(3), 2);
    files.put("data_batch_3.bin", Arrays.copyOf(files.get("data_batch_3.bin"), 3073 + 100));
    TestFiles.writeFiles(dir, files);
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve("data_batch_3.bin").toString()) && e.getMessage().contains("3073-byte records"), e.getMessage());
  }

  @Test
  void labelsOutOfRange() throws Exception {
    Map<String, byte[]> ten = TestFiles.cifar10Files(new Random(4), 2);
    ten.get("test_batch.bin")[3073] = 10;
    TestFiles.writeFiles(dir.resolve("c10"), ten);
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(dir.resolve("c10")));
    assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("label 10 of record 1"), e.getMessage());
    Map<String, byte[]> hundred = TestFiles.cifar100Files(new Random(5), 2, 2);
    hundred.get("train.bin")[0] = 20; // coarse label
    TestFiles.writeFiles(dir.resolve("c100"), hundred);
    e = assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar100(dir.resolve("c100"), CifarReader.Cifar100Labels.FINE));
    assertTrue(e.getMessage().contains("coarse label 20 of record 0"), e.getMessage());
  }

  @Test
  void missingFilesAndBrokenArchives() throws Exception {
    Map<String, byte[]> files = TestFiles.cifar10Files(new Random(6), 1);
    files.remove("data_batch_4.bin");
    TestFiles.writeFiles(dir.resolve("f"), files);
    assertTrue(assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(dir.resolve("f"))).getMessage().contains("missing data_batch_4.bin"));
    Path archive = dir.resolve("a.tar.gz");
    Files.write(archive, TestFiles.gzip(TestFiles.tar("cifar-10-batches-bin", files)));
    assertTrue(assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(archive)).getMessage().contains("no cifar-10-batches-bin/data_batch_4.bin"));
    Path notTar = dir.resolve("b.tar.gz");
    Files.write(notTar, TestFiles.gzip(new byte[2048]));
    assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(notTar));
    Path garbage = dir.resolve("c.tar.gz");
    byte[] g = new byte[1024];
    new Random(7).nextBytes(g);
    Files.write(garbage, g);
    assertTrue(assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(garbage)).getMessage().contains("checksum"));
  }

  @Test
  void metaFileWithWrongNameCount() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>(TestFiles.cifar10Files(new Random(8), 1));
    files.put("batches.meta.txt", "a\nb\n".getBytes());
    TestFiles.writeFiles(dir, files);
    assertTrue(assertThrows(DatasetFormatException.class, () -> CifarReader.readCifar10(dir)).getMessage().contains("2 class names"));
  }
}
