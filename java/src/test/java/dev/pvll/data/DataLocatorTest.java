package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLocatorTest {
  @TempDir Path dir;

  @Test
  void dataDirComesFirstThenDebianThenCache() {
    Path dataDir = dir.resolve("data");
    Path debian = dir.resolve("debian");
    Path cache = dir.resolve("cache");
    TestFiles.writeIdxFolder(dataDir.resolve("fashion-mnist"), new Random(1), 4, 2, 28, false);
    TestFiles.writeIdxFolder(debian, new Random(2), 6, 2, 28, true);
    TestFiles.writeIdxFolder(cache.resolve("fashion-mnist"), new Random(3), 8, 2, 28, true);
    List<DataLocator.Place> all = new DataLocator(dataDir, debian, cache).findAll(KnownDataset.FASHION_MNIST);
    assertEquals(List.of("--data-dir", "Debian package", "cache"), all.stream().map(DataLocator.Place::origin).toList());
    assertEquals(4, Datasets.load(KnownDataset.FASHION_MNIST, new DataLocator(dataDir, debian, cache)).train().size());
    assertEquals(6, Datasets.load(KnownDataset.FASHION_MNIST, new DataLocator(null, debian, cache)).train().size());
    assertEquals(8, Datasets.load(KnownDataset.FASHION_MNIST, new DataLocator(null, dir.resolve("none"), cache)).train().size());
    assertEquals(cache.resolve("cifar10"), new DataLocator(null, debian, cache).downloadDir(KnownDataset.CIFAR10));
    assertEquals(dataDir.resolve("cifar10"), new DataLocator(dataDir, debian, cache).downloadDir(KnownDataset.CIFAR10));
  }

  @Test
  void cifarIsFoundAsFolderOrArchive() throws Exception {
    TestFiles.writeFiles(dir.resolve("a/cifar-10-batches-bin"), TestFiles.cifar10Files(new Random(4), 1));
    Files.createDirectories(dir.resolve("b/cifar100"));
    Files.write(dir.resolve("b/cifar100/cifar-100-binary.tar.gz"),
        TestFiles.gzip(TestFiles.tar("cifar-100-binary", TestFiles.cifar100Files(new Random(5), 3, 2))));
    DataLocator.Place c10 = new DataLocator(dir.resolve("a"), null, null).find(KnownDataset.CIFAR10).orElseThrow();
    assertEquals("CIFAR folder", c10.format());
    assertEquals(dir.resolve("a/cifar-10-batches-bin"), c10.path());
    assertEquals(5, Datasets.read(c10).train().size());
    DataLocator.Place c100 = new DataLocator(dir.resolve("b"), null, null).find(KnownDataset.CIFAR100).orElseThrow();
    assertEquals("CIFAR archive", c100.format());
    assertEquals(3, Datasets.read(c100).train().size());
  }

  @Test
  void idxFilesDirectlyInDataDirAreFashionMnistUnlessTheFolderIsNamedMnist() {
    TestFiles.writeIdxFolder(dir.resolve("x"), new Random(6), 2, 2, 28, true);
    TestFiles.writeIdxFolder(dir.resolve("MNIST"), new Random(7), 3, 2, 28, true);
    DataLocator x = new DataLocator(dir.resolve("x"), null, null);
    assertEquals(2, Datasets.load(KnownDataset.FASHION_MNIST, x).train().size());
    assertTrue(x.find(KnownDataset.MNIST).isEmpty());
    DataLocator m = new DataLocator(dir.resolve("MNIST"), null, null);
    assertEquals(3, Datasets.load(KnownDataset.MNIST, m).train().size());
    assertTrue(m.find(KnownDataset.FASHION_MNIST).isEmpty());
    TestFiles.writeIdxFolder(dir.resolve("p/mnist"), new Random(8), 4, 2, 28, false);
    assertEquals(4, Datasets.load(KnownDataset.MNIST, new DataLocator(dir.resolve("p"), null, null)).train().size(), "DIR/mnist");
  }

  @Test
  void notFoundSaysWhereItLookedAndWhatToDo() {
    DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class,
        () -> Datasets.load(KnownDataset.CIFAR10, new DataLocator(dir.resolve("d"), dir.resolve("deb"), dir.resolve("c"))));
    assertTrue(e.getMessage().contains(dir.resolve("d/cifar10").toString()) && e.getMessage().contains(dir.resolve("c/cifar10").toString())
        && e.getMessage().contains("pvll data download cifar10"), e.getMessage());
    assertTrue(!e.getMessage().contains("deb"), "Debian's folder is only for Fashion-MNIST: " + e.getMessage());
  }

  @Test
  void namesParseLeniently() {
    assertEquals(KnownDataset.CIFAR10, KnownDataset.parse("CIFAR-10"));
    assertEquals(KnownDataset.FASHION_MNIST, KnownDataset.parse("fashion_mnist"));
    assertEquals(KnownDataset.FASHION_MNIST, KnownDataset.parse("FashionMNIST"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> KnownDataset.parse("imagenet")).getMessage().contains("cifar100"));
  }
}
