package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.data.LocalFileServer;
import dev.pvll.testing.CapturedStreams;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class DataCommandTest {
  @TempDir Path dir;
  @RegisterExtension final CapturedStreams io = new CapturedStreams();

  @BeforeEach
  void useTemporaryCache() {
    System.setProperty("pvll.cache", dir.resolve("cache").toString());
  }

  @AfterEach
  void clearCache() {
    System.clearProperty("pvll.cache");
  }

  @Test
  void aCorruptedDownloadFailsClearlyAndLeavesNothing() throws Exception {
    try (LocalFileServer server = new LocalFileServer()) {
      server.put("cifar-10-binary.tar.gz", new byte[5000]);
      int code = Main.run("data", "download", "cifar10", "--mirror", server.base(), "--data-dir", dir.toString(), "--tries", "1");
      assertEquals(1, code, io.err());
      assertTrue(io.err().contains("checksum mismatch for " + server.base() + "cifar-10-binary.tar.gz"), io.err());
      assertFalse(Files.exists(dir.resolve("cifar10/cifar-10-binary.tar.gz")));
      assertFalse(Files.exists(dir.resolve("cifar10/cifar-10-binary.tar.gz.part")));
    }
  }

  @Test
  void unknownOrUndownloadableNamesAndBadMirrors() {
    assertEquals(2, Main.run("data", "download", "imagenet"));
    assertTrue(io.err().contains("unknown data set 'imagenet'"), io.err());
    assertEquals(2, Main.run("data", "download", "mnist"));
    assertTrue(io.err().contains("cannot download mnist"), io.err());
    assertEquals(2, Main.run("data", "download", "cifar10", "--mirror", "ftp://x/", "--data-dir", dir.toString()));
    assertTrue(io.err().contains("--mirror"), io.err());
  }

  @Test
  void infoListsWhatIsFoundWhereWithCounts() throws Exception {
    Path fm = dir.resolve("data/fashion-mnist");
    dev.pvll.data.TestFilesAccess.writeFashionMnist(fm, 12, 5);
    Files.createDirectories(dir.resolve("data/broken-cifar"));
    int code = Main.run("data", "info", "--data-dir", dir.resolve("data").toString());
    String s = io.out();
    assertEquals(0, code, s + io.err());
    assertTrue(s.contains("fashion-mnist: " + fm + " (--data-dir, IDX)"), s);
    assertTrue(s.contains("train 12, test 5"), s);
    assertTrue(s.contains("cifar10: not found"), s);
    assertTrue(s.contains("embedded: fashion-mnist, first 10000 training images"), s);
    if (Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist"))) {
      assertTrue(s.contains("also in /usr/share/datasets/fashion-mnist (Debian package, not used)"), s);
    }
  }

  @Test
  void infoReportsABrokenDataSet() throws Exception {
    Path c10 = dir.resolve("data/cifar10");
    Files.createDirectories(c10);
    Files.write(c10.resolve("cifar-10-binary.tar.gz"), new byte[700]);
    int code = Main.run("data", "info", "--data-dir", dir.resolve("data").toString());
    assertEquals(1, code);
    assertTrue(io.out().contains("error: " + c10.resolve("cifar-10-binary.tar.gz")), io.out());
  }
}
