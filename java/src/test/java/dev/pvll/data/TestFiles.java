package dev.pvll.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Generates small data files in the exact formats the readers expect. */
final class TestFiles {
  private TestFiles() {}

  /** An IDX file of unsigned bytes. */
  static byte[] idx(int[] dims, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(0);
    out.write(0x08);
    out.write(dims.length);
    for (int d : dims) writeInt(out, d);
    out.writeBytes(data);
    return out.toByteArray();
  }

  static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  static byte[] randomLabels(Random r, int n, int classes) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(classes);
    return b;
  }

  /** Writes the four Fashion-MNIST IDX files (gzip or raw) with random content into dir; returns [trainImages, trainLabels, testImages, testLabels] content. */
  static byte[][] writeIdxFolder(Path dir, Random r, int nTrain, int nTest, int side, boolean gz) {
    byte[][] content = {
        randomBytes(r, nTrain * side * side), randomLabels(r, nTrain, 10),
        randomBytes(r, nTest * side * side), randomLabels(r, nTest, 10)};
    int[] counts = {nTrain, nTrain, nTest, nTest};
    try {
      Files.createDirectories(dir);
      for (int i = 0; i < 4; i++) {
        int[] dims = i % 2 == 0 ? new int[] {counts[i], side, side} : new int[] {counts[i]};
        byte[] file = idx(dims, content[i]);
        String name = DataLocator.IDX_FILES.get(i) + (gz ? ".gz" : "");
        Files.write(dir.resolve(name), gz ? gzip(file) : file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return content;
  }

  /** n CIFAR records: labelBytes label bytes (each below its limit) then 3072 random pixel bytes. */
  static byte[] cifarRecords(Random r, int n, int[] labelLimits) {
    int rec = labelLimits.length + 3072;
    byte[] out = new byte[n * rec];
    for (int i = 0; i < n; i++) {
      for (int b = 0; b < labelLimits.length; b++) out[i * rec + b] = (byte) r.nextInt(labelLimits[b]);
      for (int k = 0; k < 3072; k++) out[i * rec + labelLimits.length + k] = (byte) r.nextInt(256);
    }
    return out;
  }

  /** The files of cifar-10-batches-bin with perFile records each (names in batches.meta.txt). */
  static Map<String, byte[]> cifar10Files(Random r, int perFile) {
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    files.put("batches.meta.txt", String.join("\n", KnownDataset.CIFAR10.classNames()).concat("\n\n").getBytes(StandardCharsets.US_ASCII));
    for (String f : CifarReader.CIFAR10_TRAIN) files.put(f, cifarRecords(r, perFile, new int[] {10}));
    files.put(CifarReader.CIFAR10_TEST, cifarRecords(r, perFile, new int[] {10}));
    return files;
  }

  /** The files of cifar-100-binary. */
  static Map<String, byte[]> cifar100Files(Random r, int nTrain, int nTest) {
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    files.put(CifarReader.CIFAR100_TRAIN, cifarRecords(r, nTrain, new int[] {20, 100}));
    files.put(CifarReader.CIFAR100_TEST, cifarRecords(r, nTest, new int[] {20, 100}));
    files.put(CifarReader.CIFAR100_FINE, String.join("\n", KnownDataset.CIFAR100.classNames()).getBytes(StandardCharsets.US_ASCII));
    files.put(CifarReader.CIFAR100_COARSE, String.join("\n", KnownDataset.CIFAR100_COARSE_NAMES).getBytes(StandardCharsets.US_ASCII));
    return files;
  }

  static void writeFiles(Path dir, Map<String, byte[]> files) {
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Files.createDirectories(dir.resolve(e.getKey()).getParent());
        Files.write(dir.resolve(e.getKey()), e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A ustar archive of the entries (in map order), each under prefix/; names over 100 bytes get a GNU long-name entry. */
  static byte[] tar(String prefix, Map<String, byte[]> entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    tarEntry(out, prefix + "/", '5', new byte[0]);
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      String name = prefix + "/" + e.getKey();
      byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
      if (nameBytes.length > 100) {
        byte[] longName = java.util.Arrays.copyOf(nameBytes, nameBytes.length + 1);
        tarEntry(out, "././@LongLink", 'L', longName);
        name = name.substring(0, 100);
      }
      tarEntry(out, name, '0', e.getValue());
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static void tarEntry(ByteArrayOutputStream out, String name, char type, byte[] data) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", data.length));
    put(h, 136, String.format("%011o", 1_600_000_000L));
    h[156] = (byte) type;
    put(h, 257, "ustar");
    put(h, 263, "00");
    for (int i = 148; i < 156; i++) h[i] = ' ';
    long sum = 0;
    for (byte b : h) sum += b & 0xFF;
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    h[155] = ' ';
    out.writeBytes(h);
    out.writeBytes(data);
    out.writeBytes(new byte[(512 - data.length % 512) % 512]);
  }

  private static void put(byte[] h, int at, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(b, 0, h, at, Math.min(b.length, 100));
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}
