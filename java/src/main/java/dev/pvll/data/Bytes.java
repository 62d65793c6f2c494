package dev.pvll.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reading whole files into memory without trusting any size written inside them: buffers grow
 * with the bytes that really arrive, so a corrupted count can never cause a huge allocation.
 */
final class Bytes {
  /** The largest Java array we ask for. */
  static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

  private Bytes() {}

  /** Whether data starts with the gzip magic number 1f 8b. */
  static boolean isGzip(byte[] head) {
    return head.length >= 2 && (head[0] & 0xFF) == 0x1f && (head[1] & 0xFF) == 0x8b;
  }

  /** The whole file, decompressed when it starts with the gzip magic number. */
  static byte[] readMaybeGzip(Path file) {
    String source = file.toString();
    try {
      long length = Files.size(file);
      byte[] head = new byte[2];
      try (InputStream in = Files.newInputStream(file)) {
        head = in.readNBytes(2);
      }
      if (!isGzip(head)) {
        if (length > MAX_ARRAY) throw new DatasetFormatException(source, "file of " + length + " bytes is too large to read");
        return Files.readAllBytes(file);
      }
      int hint = (int) Math.min(gzipSizeHint(file, length), 16L * length + (1 << 20));
      try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), 1 << 16)) {
        return readAll(in, hint, source);
      }
    } catch (NoSuchFileException e) {
      throw new DatasetFormatException(source, "file not found");
    } catch (IOException e) {
      throw readError(source, e);
    }
  }

  /** The whole stream (already read from a resource or archive), gunzipped when it starts with the magic. */
  static byte[] maybeGunzip(byte[] content, String source) {
    if (!isGzip(content)) return content;
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(content), 1 << 16)) {
      return readAll(in, (int) Math.min(4L * content.length, MAX_ARRAY), source);
    } catch (IOException e) {
      throw readError(source, e);
    }
  }

  /** Everything left in the stream, starting with a buffer of about initialCapacity bytes. */
  static byte[] readAll(InputStream in, int initialCapacity, String source) throws IOException {
    byte[] buf = new byte[Math.max(initialCapacity, 8192)];
    int n = 0;
    while (true) {
      if (n == buf.length) {
        int probe = in.read();
        if (probe < 0) return buf;
        if (n >= MAX_ARRAY) throw new DatasetFormatException(source, "more than 2 GiB of data: too large to read");
        buf = Arrays.copyOf(buf, (int) Math.min(MAX_ARRAY, 2L * n));
        buf[n++] = (byte) probe;
      }
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) return n == buf.length ? buf : Arrays.copyOf(buf, n);
      n += r;
    }
  }

  /** The uncompressed size modulo 2^32 that a single-member gzip file records in its last 4 bytes. */
  private static long gzipSizeHint(Path file, long length) throws IOException {
    if (length < 18) return 0;
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.position(length - 4);
      while (b.hasRemaining() && ch.read(b) >= 0) {}
      return b.hasRemaining() ? 0 : Integer.toUnsignedLong(b.getInt(0));
    }
  }

  /** A DatasetFormatException that says what an I/O error while reading means. */
  static DatasetFormatException readError(String source, IOException e) {
    if (e instanceof EOFException) return new DatasetFormatException(source, "truncated (unexpected end of data)", e);
    if (e instanceof ZipException) return new DatasetFormatException(source, "corrupt gzip data (" + e.getMessage() + ")", e);
    return new DatasetFormatException(source, "cannot read (" + e + ")", e);
  }
}
