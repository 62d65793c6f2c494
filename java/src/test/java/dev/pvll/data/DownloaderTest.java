package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class DownloaderTest {
  @TempDir Path dir;
  LocalFileServer server;
  final byte[] content = TestFiles.randomBytes(new Random(17), 300_000);
  final RemoteFile file = new RemoteFile("data.bin", sha(content), -1);
  final ByteArrayOutputStream log = new ByteArrayOutputStream();

  static String sha(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = new LocalFileServer().put("data.bin", content);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  Downloader downloader(String base) {
    return new Downloader(base, new PrintStream(log, true)).retries(4, Duration.ofMillis(10)).timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  @Test
  void fetchesVerifiesAndRenamesThenSkipsWhenPresent() throws Exception {
    Path got = downloader(server.base()).fetch(file, dir.resolve("sub"));
    assertEquals(dir.resolve("sub/data.bin"), got);
    assertArrayEquals(content, Files.readAllBytes(got));
    assertFalse(Files.exists(dir.resolve("sub/data.bin.part")));
    assertTrue(log.toString().contains("100%"), "progress bar drawn: " + log);
    int requests = server.ranges.size();
    downloader(server.base()).fetch(file, dir.resolve("sub"));
    assertEquals(requests, server.ranges.size(), "a verified file is not fetched again");
    assertTrue(log.toString().contains("already present"));
  }

  @Test
  void resumesAPartialFileFromAnEarlierRun() throws Exception {
    Files.write(dir.resolve("data.bin.part"), Arrays.copyOf(content, 123_456));
    downloader(server.base()).fetch(file, dir);
    assertEquals("bytes=123456-", server.ranges.get(0));
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
  }

  @Test
  void aDroppedConnectionIsResumedWhereItStopped() throws Exception {
    server.dropConnection("data.bin", 100_000, 2);
    downloader(server.base()).fetch(file, dir);
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
    assertEquals(3, server.ranges.size(), "two dropped transfers, then the rest: " + server.ranges);
    assertEquals("", server.ranges.get(0));
    assertEquals("bytes=100000-", server.ranges.get(1));
    assertEquals("bytes=200000-", server.ranges.get(2));
  }

  @Test
  void aCorruptedFileIsDeletedAndNothingAppearsUnderTheFinalName() {
    byte[] bad = content.clone();
    bad[1000] ^= 1;
    server.put("data.bin", bad);
    DownloadException e = assertThrows(DownloadException.class, () -> downloader(server.base()).fetch(file, dir));
    assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains(file.sha256()) && e.getMessage().contains(sha(bad)), e.getMessage());
    assertFalse(Files.exists(dir.resolve("data.bin")));
    assertFalse(Files.exists(dir.resolve("data.bin.part")));
  }

  @Test
  void aStalePartialFileThatDoesNotMatchIsRestartedFromZero() throws Exception {
    byte[] stale = content.clone();
    stale[10] ^= 1;
    Files.write(dir.resolve("data.bin.part"), Arrays.copyOf(stale, 5000));
    downloader(server.base()).fetch(file, dir);
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
    assertEquals("", server.ranges.get(server.ranges.size() - 1), "last request was a fresh one");
  }

  @Test
  void giveUpKeepsThePartForALaterResume() throws Exception {
    server.dropConnection("data.bin", 50_000, 4);
    DownloadException e = assertThrows(DownloadException.class, () -> downloader(server.base()).fetch(file, dir));
    assertTrue(e.getMessage().contains("failed after 4 tries") && e.getMessage().contains("resume"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("data.bin")));
    assertEquals(200_000, Files.size(dir.resolve("data.bin.part")));
    downloader(server.base()).fetch(file, dir);
    assertEquals("bytes=200000-", server.ranges.get(server.ranges.size() - 1));
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
  }

  @Test
  void aWrongExistingFileIsReplacedAtomically() throws Exception {
    Files.write(dir.resolve("data.bin"), new byte[] {1, 2, 3});
    downloader(server.base()).fetch(file, dir);
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
  }

  @Test
  void redirectsAreFollowedAndMissingFilesFailFast() throws Exception {
    downloader(server.movedBase()).fetch(file, dir);
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
    RemoteFile missing = new RemoteFile("nope.bin", file.sha256(), -1);
    DownloadException e = assertThrows(DownloadException.class, () -> downloader(server.base()).fetch(missing, dir));
    assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("nope.bin"), e.getMessage());
  }

  @Test
  void unreachableHostAndBadUrls() {
    assertThrows(IllegalArgumentException.class, () -> new Downloader("ftp://example.org/", null));
    assertThrows(IllegalArgumentException.class, () -> new Downloader("not a url", null));
    server.close(); // nothing listens on its port any more
    DownloadException e = assertThrows(DownloadException.class,
        () -> downloader(server.base()).retries(2, Duration.ofMillis(1)).fetch(file, dir));
    assertTrue(e.getMessage().contains("failed after 2 tries"), e.getMessage());
  }
}
