package dev.pvll.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of tar archives (ustar, GNU long names, pax path records), enough to take
 * the CIFAR binary files out of {@code cifar-10-binary.tar.gz} without extracting it. Header
 * checksums are verified; entry contents are read into buffers that grow with the bytes really
 * present, so a corrupted size field cannot cause a huge allocation.
 */
final class TarReader {
  private static final int BLOCK = 512;

  /** One archive member: its path, its type flag and its size in bytes. */
  record Entry(String name, char type, long size) {
    boolean isFile() {
      return type == '0' || type == '\0' || type == '7';
    }

    /** The last path component. */
    String baseName() {
      String n = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
      return n.substring(n.lastIndexOf('/') + 1);
    }
  }

  private final InputStream in;
  private final String source;
  private final byte[] block = new byte[BLOCK];
  private long offset; // bytes consumed so far, for error messages
  private long unread; // bytes of the current entry's data (with padding) not yet consumed
  private Entry current;

  TarReader(InputStream in, String source) {
    this.in = in;
    this.source = source;
  }

  /** The next entry, skipping whatever is left of the current one; null at the end of the archive. */
  Entry next() throws IOException {
    skipRest();
    String longName = null;
    while (true) {
      long headerAt = offset;
      if (!readBlock(true)) return null; // end of data without the two zero blocks: accepted
      if (isZero(block)) return null;
      checkChecksum(headerAt);
      char type = (char) (block[156] & 0xFF);
      long size = parseSize(headerAt);
      String name = longName != null ? longName : headerName();
      longName = null;
      if (type == 'L' || type == 'x') {
        if (size > 1 << 20) throw new DatasetFormatException(source, "tar header at offset " + headerAt + ": meta entry of " + size + " bytes");
        byte[] meta = readData(size);
        String text = new String(meta, StandardCharsets.UTF_8);
        longName = type == 'L' ? trimNul(text) : paxPath(text);
        continue;
      }
      current = new Entry(name, type, size);
      unread = padded(size);
      return current;
    }
  }

  /** The whole content of the current entry (which must not have been read yet). */
  byte[] readContent() throws IOException {
    if (current == null || unread != padded(current.size())) throw new IllegalStateException("no unread entry");
    return readData(current.size());
  }

  private byte[] readData(long size) throws IOException {
    long pad = padded(size) - size;
    byte[] data = Bytes.readAll(new Bounded(in, size), (int) Math.min(size, 1 << 20), source);
    offset += data.length;
    if (data.length != size) {
      throw new DatasetFormatException(source, "truncated archive: entry needs " + size + " bytes, " + data.length + " present");
    }
    skipExactly(pad);
    unread = 0;
    return data;
  }

  private void skipRest() throws IOException {
    if (unread > 0) skipExactly(unread);
    unread = 0;
  }

  private void skipExactly(long n) throws IOException {
    byte[] scratch = new byte[8192];
    while (n > 0) {
      int r = in.read(scratch, 0, (int) Math.min(scratch.length, n));
      if (r < 0) throw new DatasetFormatException(source, "truncated archive at offset " + offset);
      n -= r;
      offset += r;
    }
  }

  /** Fills the block; false at a clean end of data when allowed. */
  private boolean readBlock(boolean endAllowed) throws IOException {
    int n = in.readNBytes(block, 0, BLOCK);
    offset += n;
    if (n == 0 && endAllowed) return false;
    if (n != BLOCK) throw new DatasetFormatException(source, "truncated archive: partial tar header at offset " + (offset - n));
    return true;
  }

  private void checkChecksum(long headerAt) {
    long stored = parseOctal(148, 8, headerAt, "checksum");
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : (block[i] & 0xFF);
    if (sum != stored) {
      throw new DatasetFormatException(source, "not a tar archive or corrupted: header checksum at offset " + headerAt
          + " is " + stored + ", computed " + sum);
    }
  }

  private long parseSize(long headerAt) {
    if ((block[124] & 0x80) != 0) { // GNU base-256 for sizes of 8 GiB and more
      long v = block[124] & 0x7F;
      for (int i = 125; i < 136; i++) {
        if (v > (Long.MAX_VALUE >> 9)) throw new DatasetFormatException(source, "tar header at offset " + headerAt + ": size too large");
        v = (v << 8) | (block[i] & 0xFF);
      }
      return v;
    }
    return parseOctal(124, 12, headerAt, "size");
  }

  private long parseOctal(int from, int length, long headerAt, String field) {
    long v = 0;
    boolean digits = false;
    for (int i = from; i < from + length; i++) {
      int c = block[i] & 0xFF;
      if (c == 0 || (c == ' ' && digits)) break;
      if (c == ' ') continue;
      if (c < '0' || c > '7' || v > (Long.MAX_VALUE >> 3)) {
        throw new DatasetFormatException(source, "tar header at offset " + headerAt + ": " + field + " field is not an octal number");
      }
      v = v * 8 + (c - '0');
      digits = true;
    }
    return v;
  }

  private String headerName() {
    String name = field(0, 100);
    if (new String(block, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
      String prefix = field(345, 155);
      if (!prefix.isEmpty()) name = prefix + "/" + name;
    }
    return name;
  }

  private String field(int from, int length) {
    int end = from;
    while (end < from + length && block[end] != 0) end++;
    return new String(block, from, end - from, StandardCharsets.UTF_8);
  }

  private static String paxPath(String records) {
    for (String line : records.split("\n")) {
      int eq = line.indexOf(" path=");
      if (eq >= 0) return line.substring(eq + 6);
    }
    return null;
  }

  private static String trimNul(String s) {
    int z = s.indexOf('\0');
    return z >= 0 ? s.substring(0, z) : s;
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) if (x != 0) return false;
    return true;
  }

  /** Reads at most limit bytes of the underlying stream and never closes it. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long limit) {
      this.in = in;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) return -1;
      int b = in.read();
      if (b >= 0) left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) return -1;
      int r = in.read(b, off, (int) Math.min(len, left));
      if (r > 0) left -= r;
      return r;
    }
  }
}
