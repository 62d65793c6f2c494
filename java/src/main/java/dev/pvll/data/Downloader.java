package dev.pvll.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads files over HTTP(S) into a folder, safely: bytes go to {@code NAME.part}, an
 * interrupted transfer resumes from where it stopped (HTTP Range), the finished file must have
 * the expected SHA-256, and only then is it renamed atomically to {@code NAME}. A file under the
 * final name is therefore always complete and verified; a corrupted download is deleted.
 */
public final class Downloader {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

  private final URI base;
  private final PrintStream log;
  private int attempts = 5;
  private Duration retryDelay = Duration.ofSeconds(2);
  private int connectTimeoutMs = 30_000;
  private int readTimeoutMs = 60_000;

  /**
   * A downloader fetching {@code baseUrl + name}.
   *
   * @param baseUrl an http or https URL (a trailing slash is added when missing)
   * @param log where progress bars and messages go (stderr on the command line), or null for silence
   * @throws IllegalArgumentException when baseUrl is not an http(s) URL
   */
  public Downloader(String baseUrl, PrintStream log) {
    URI u;
    try {
      u = new URI(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: '" + baseUrl + "' (" + e.getMessage() + ")");
    }
    if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https")) || u.getHost() == null) {
      throw new IllegalArgumentException("mirror URL must be an http:// or https:// URL with a host, got '" + baseUrl + "'");
    }
    this.base = u;
    this.log = log;
  }

  /** How often to try one file and how long to wait between tries (default 5 tries, 2 s apart). */
  public Downloader retries(int attempts, Duration delay) {
    if (attempts < 1) throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
    this.attempts = attempts;
    this.retryDelay = delay;
    return this;
  }

  /** Connect and read timeouts (default 30 s and 60 s). */
  public Downloader timeouts(Duration connect, Duration read) {
    this.connectTimeoutMs = (int) connect.toMillis();
    this.readTimeoutMs = (int) read.toMillis();
    return this;
  }

  /** The URL a file is fetched from. */
  public URI urlOf(RemoteFile file) {
    return base.resolve(file.name());
  }

  /** Fetches every file into dir; returns their final paths. */
  public List<Path> fetchAll(List<RemoteFile> files, Path dir) {
    List<Path> out = new ArrayList<>();
    for (RemoteFile f : files) out.add(fetch(f, dir));
    return out;
  }

  /**
   * Makes sure {@code dir/NAME} exists with the expected SHA-256, downloading (or resuming) it if
   * needed.
   *
   * @return the verified file
   * @throws DownloadException when the transfer keeps failing (the partial file is kept for a
   *     later resume) or the checksum differs (the download is deleted)
   */
  public Path fetch(RemoteFile file, Path dir) {
    Path target = dir.resolve(file.name());
    Path part = dir.resolve(file.name() + ".part");
    try {
      Files.createDirectories(dir);
      if (Files.isRegularFile(target)) {
        if (sha256(target).equals(file.sha256())) {
          say(file.name() + ": already present and verified in " + dir);
          return target;
        }
        say(file.name() + ": " + target + " has a different SHA-256; downloading it again");
      }
      boolean resumed = Files.isRegularFile(part) && Files.size(part) > 0;
      download(file, part);
      String actual = sha256(part);
      if (!actual.equals(file.sha256())) {
        Files.deleteIfExists(part);
        if (resumed) {
          say(file.name() + ": checksum mismatch after resuming an earlier partial file; starting again from zero");
          download(file, part);
          actual = sha256(part);
        }
        if (!actual.equals(file.sha256())) {
          Files.deleteIfExists(part);
          throw new DownloadException("checksum mismatch for " + urlOf(file) + ": expected SHA-256 " + file.sha256()
              + ", got " + actual + "; the download was deleted and nothing was written to " + target);
        }
      }
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
      }
      say(file.name() + ": verified, saved as " + target);
      return target;
    } catch (IOException e) {
      throw new DownloadException("cannot write " + part + ": " + e.getMessage(), e);
    }
  }

  /** Brings part to the whole remote file, retrying and resuming; throws when all tries fail. */
  private void download(RemoteFile file, Path part) throws IOException {
    URI url = urlOf(file);
    ProgressBar bar = null;
    String last = "no attempt made";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      long have = Files.isRegularFile(part) ? Files.size(part) : 0;
      if (bar == null) bar = new ProgressBar(log, file.name(), file.size(), have);
      try {
        if (transfer(url, part, bar, file.size())) {
          bar.finish(Files.size(part));
          return;
        }
        last = "connection closed after " + Files.size(part) + " bytes";
      } catch (DownloadException e) {
        if (log != null) log.println();
        throw e;
      } catch (IOException e) {
        last = e.toString();
      }
      if (log != null) log.println();
      if (attempt < attempts) {
        say(file.name() + ": try " + attempt + " of " + attempts + " failed (" + last + "); resuming in " + retryDelay.toMillis() + " ms");
        try {
          Thread.sleep(retryDelay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new DownloadException("interrupted while downloading " + url, e);
        }
      }
    }
    throw new DownloadException("download of " + url + " failed after " + attempts + (attempts == 1 ? " try (" : " tries (") + last + "); "
        + (Files.isRegularFile(part) ? "the partial file " + part + " is kept: run the command again to resume" : "nothing was kept"));
  }

  /** One HTTP request; true when part now holds the whole file (as far as the server told). */
  private boolean transfer(URI url, Path part, ProgressBar bar, long knownSize) throws IOException {
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    HttpURLConnection c = open(url, have);
    try {
      int code = c.getResponseCode();
      long total;
      boolean append;
      if (code == 416 && have > 0) {
        // nothing left to send: either part is complete or it is longer than the file
        String range = c.getHeaderField("Content-Range");
        long size = range != null && range.matches("bytes\\s+\\*/\\d+") ? Long.parseLong(range.replaceAll("\\D", "")) : -1;
        if (size == have) return true;
        Files.delete(part);
        return false;
      } else if (code == 206) {
        Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
        if (!m.matches() || Long.parseLong(m.group(1)) != have) {
          Files.delete(part); // the server answered another range than asked: start again from zero
          return false;
        }
        total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        append = true;
      } else if (code == 200) {
        long length = c.getContentLengthLong();
        total = length >= 0 ? length : knownSize;
        append = false;
        have = 0;
      } else if (code >= 400 && code < 500 && code != 408 && code != 429) {
        throw new DownloadException("cannot download " + url + ": HTTP " + code + " " + c.getResponseMessage());
      } else {
        throw new IOException("HTTP " + code + " " + c.getResponseMessage());
      }
      bar.total(total);
      long got = have;
      try (InputStream in = c.getInputStream();
          OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
              append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buf = new byte[1 << 16];
        for (int r; (r = in.read(buf)) >= 0; ) {
          out.write(buf, 0, r);
          got += r;
          bar.update(got);
        }
      }
      return total < 0 || got == total;
    } finally {
      c.disconnect();
    }
  }

  /** Opens url asking for bytes from {@code from} on, following up to 5 redirects (also http to https). */
  private HttpURLConnection open(URI url, long from) throws IOException {
    URL u = url.toURL();
    for (int hop = 0; hop <= 5; hop++) {
      HttpURLConnection c = (HttpURLConnection) u.openConnection();
      c.setInstanceFollowRedirects(false);
      c.setConnectTimeout(connectTimeoutMs);
      c.setReadTimeout(readTimeoutMs);
      c.setRequestProperty("User-Agent", "pvll-data-downloader");
      c.setRequestProperty("Accept-Encoding", "identity");
      if (from > 0) c.setRequestProperty("Range", "bytes=" + from + "-");
      int code = c.getResponseCode();
      if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        String location = c.getHeaderField("Location");
        c.disconnect();
        if (location == null) throw new IOException("HTTP " + code + " redirect without a Location from " + u);
        u = new URL(u, location);
        if (!u.getProtocol().equals("http") && !u.getProtocol().equals("https")) {
          throw new DownloadException("refusing a redirect from " + url + " to " + u);
        }
        continue;
      }
      return c;
    }
    throw new DownloadException("too many redirects from " + url);
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int r; (r = in.read(buf)) >= 0; ) md.update(buf, 0, r);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private void say(String message) {
    if (log != null) {
      log.println(message);
      log.flush();
    }
  }
}
