package dev.pvll.run;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint file: a JSON document (the run's state) and float arrays (weights, optimiser
 * state), for searches and training runs alike. Written to a temporary file, flushed to disk, then renamed over the old one, so a
 * crash at any moment leaves either the old or the new checkpoint, never half of one.
 * Layout: "PVLLCKP1", int JSON length, JSON (UTF-8), int array count, then per array a long
 * length and the floats (big-endian).
 */
final class Checkpoint {
  private static final byte[] MAGIC = "PVLLCKP1".getBytes(StandardCharsets.US_ASCII);
  private static final long MAX_JSON = 1L << 30;

  /** The content of a checkpoint. */
  record Content(String json, List<float[]> arrays) {}

  private Checkpoint() {}

  /** Atomically replaces file with the given content. */
  static void write(Path file, String json, List<float[]> arrays) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        OutputStream os = java.nio.channels.Channels.newOutputStream(ch);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 20))) {
      out.write(MAGIC);
      byte[] j = json.getBytes(StandardCharsets.UTF_8);
      out.writeInt(j.length);
      out.write(j);
      out.writeInt(arrays.size());
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.BIG_ENDIAN);
      for (float[] a : arrays) {
        out.writeLong(a.length);
        for (int i = 0; i < a.length; ) {
          buf.clear();
          int n = Math.min(a.length - i, buf.capacity() / 4);
          buf.asFloatBuffer().put(a, i, n);
          out.write(buf.array(), 0, n * 4);
          i += n;
        }
      }
      out.flush();
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Reads a checkpoint; any inconsistency is an IOException naming the file and what is wrong. */
  static Content read(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream is = Files.newInputStream(file); DataInputStream in = new DataInputStream(new BufferedInputStream(is, 1 << 20))) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not a pvll checkpoint (bad magic)");
      int jsonLength = in.readInt();
      if (jsonLength < 0 || jsonLength > MAX_JSON || jsonLength > size) {
        throw new IOException(file + ": corrupt checkpoint (JSON length " + jsonLength + ")");
      }
      byte[] j = new byte[jsonLength];
      in.readFully(j);
      int count = in.readInt();
      if (count < 0 || count > 1000) throw new IOException(file + ": corrupt checkpoint (array count " + count + ")");
      List<float[]> arrays = new ArrayList<>();
      byte[] chunk = new byte[1 << 16];
      for (int k = 0; k < count; k++) {
        long len = in.readLong();
        if (len < 0 || len * 4 > size) throw new IOException(file + ": corrupt checkpoint (array " + k + " length " + len + ")");
        float[] a = new float[(int) len];
        for (int i = 0; i < a.length; ) {
          int n = Math.min(a.length - i, chunk.length / 4);
          in.readFully(chunk, 0, n * 4);
          ByteBuffer.wrap(chunk, 0, n * 4).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(a, i, n);
          i += n;
        }
        arrays.add(a);
      }
      return new Content(new String(j, StandardCharsets.UTF_8), arrays);
    } catch (EOFException e) {
      throw new IOException(file + ": truncated checkpoint", e);
    }
  }
}
