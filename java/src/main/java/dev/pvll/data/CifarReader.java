package dev.pvll.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The binary versions of CIFAR-10 and CIFAR-100, read from the extracted folder or straight from
 * the {@code .tar.gz} archive.
 *
 * <p>CIFAR-10 ({@code cifar-10-batches-bin/}): {@code data_batch_1.bin} to {@code
 * data_batch_5.bin} and {@code test_batch.bin}, records of 1 label byte then 3072 pixel bytes
 * (1024 red, 1024 green, 1024 blue, rows top to bottom), names in {@code batches.meta.txt}.
 * CIFAR-100 ({@code cifar-100-binary/}): {@code train.bin} and {@code test.bin}, records of a
 * coarse label byte (0..19), a fine label byte (0..99) and 3072 pixel bytes; names in {@code
 * fine_label_names.txt} and {@code coarse_label_names.txt}.
 */
public final class CifarReader {
  static final int SIDE = 32;
  static final int PIXELS = 3 * SIDE * SIDE;

  /** The CIFAR-10 archive's file names. */
  static final List<String> CIFAR10_TRAIN = List.of(
      "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
  static final String CIFAR10_TEST = "test_batch.bin";
  static final String CIFAR10_META = "batches.meta.txt";
  static final String CIFAR100_TRAIN = "train.bin";
  static final String CIFAR100_TEST = "test.bin";
  static final String CIFAR100_FINE = "fine_label_names.txt";
  static final String CIFAR100_COARSE = "coarse_label_names.txt";

  private CifarReader() {}

  /** Which CIFAR-100 labels become the data set's labels. */
  public enum Cifar100Labels {
    /** The 100 classes. */
    FINE,
    /** The 20 superclasses. */
    COARSE
  }

  /**
   * Reads CIFAR-10 from {@code cifar-10-binary.tar.gz}, from {@code cifar-10-batches-bin/} or from
   * a folder holding it.
   */
  public static TrainTest readCifar10(Path source) {
    List<String> wanted = new ArrayList<>(CIFAR10_TRAIN);
    wanted.add(CIFAR10_TEST);
    CifarFiles files = collect(source, "cifar-10-batches-bin", wanted, List.of(CIFAR10_META));
    List<String> names = files.names(CIFAR10_META, KnownDataset.CIFAR10.classNames());
    List<Part> train = new ArrayList<>();
    for (String f : CIFAR10_TRAIN) train.add(new Part(files.get(f), files.where(f)));
    Dataset tr = parse(train, 1, 0, names, "cifar10/train");
    Dataset te = parse(List.of(new Part(files.get(CIFAR10_TEST), files.where(CIFAR10_TEST))), 1, 0, names, "cifar10/test");
    return new TrainTest(tr, te, files.origin);
  }

  /**
   * Reads CIFAR-100 from {@code cifar-100-binary.tar.gz}, from {@code cifar-100-binary/} or from a
   * folder holding it, with its fine or coarse labels as the labels.
   */
  public static TrainTest readCifar100(Path source, Cifar100Labels which) {
    CifarFiles files = collect(source, "cifar-100-binary", List.of(CIFAR100_TRAIN, CIFAR100_TEST), List.of(CIFAR100_FINE, CIFAR100_COARSE));
    boolean fine = which == Cifar100Labels.FINE;
    List<String> names = fine
        ? files.names(CIFAR100_FINE, KnownDataset.CIFAR100.classNames())
        : files.names(CIFAR100_COARSE, KnownDataset.CIFAR100_COARSE_NAMES);
    int use = fine ? 1 : 0;
    String base = fine ? "cifar100" : "cifar100-coarse";
    Dataset tr = parse(List.of(new Part(files.get(CIFAR100_TRAIN), files.where(CIFAR100_TRAIN))), 2, use, names, base + "/train");
    Dataset te = parse(List.of(new Part(files.get(CIFAR100_TEST), files.where(CIFAR100_TEST))), 2, use, names, base + "/test");
    return new TrainTest(tr, te, files.origin);
  }

  /** The bytes of one batch file and the name to use for it in errors. */
  private record Part(byte[] bytes, String source) {}

  /**
   * Records of {@code labelBytes} label bytes then 3072 pixel bytes; label byte {@code use} is the
   * label. Every byte of label is range-checked (CIFAR-100's coarse byte against 20 classes).
   */
  private static Dataset parse(List<Part> parts, int labelBytes, int use, List<String> names, String name) {
    int record = labelBytes + PIXELS;
    long total = 0;
    for (Part p : parts) {
      if (p.bytes.length == 0) throw new DatasetFormatException(p.source, "empty file");
      if (p.bytes.length % record != 0) {
        throw new DatasetFormatException(p.source, "length " + p.bytes.length + " is not a whole number of "
            + record + "-byte records (truncated or not a CIFAR" + (labelBytes == 1 ? "-10" : "-100") + " batch file)");
      }
      total += p.bytes.length / record;
    }
    if (total * PIXELS > Bytes.MAX_ARRAY) throw new DatasetFormatException(parts.get(0).source, "too many images for one array: " + total);
    byte[] pixels = new byte[(int) (total * PIXELS)];
    int[] labels = new int[(int) total];
    int[] limits = labelBytes == 1 ? new int[] {10} : new int[] {20, 100};
    int i = 0;
    for (Part p : parts) {
      int n = p.bytes.length / record;
      for (int r = 0; r < n; r++, i++) {
        int at = r * record;
        for (int b = 0; b < labelBytes; b++) {
          int v = p.bytes[at + b] & 0xFF;
          if (v >= limits[b]) {
            String kind = labelBytes == 1 ? "label" : (b == 0 ? "coarse label" : "fine label");
            throw new DatasetFormatException(p.source, kind + " " + v + " of record " + r + " is out of range 0.." + (limits[b] - 1));
          }
        }
        labels[i] = p.bytes[at + use] & 0xFF;
        System.arraycopy(p.bytes, at + labelBytes, pixels, i * PIXELS, PIXELS);
      }
    }
    if (names.size() != (labelBytes == 1 ? 10 : limits[use])) throw new IllegalStateException("class names do not fit " + name);
    return new Dataset(name, pixels, labels, 3, SIDE, SIDE, names);
  }

  /** The wanted files' bytes, from an archive or a folder. */
  private static final class CifarFiles {
    final Map<String, byte[]> content = new HashMap<>();
    final Map<String, String> where = new HashMap<>();
    String origin;

    byte[] get(String file) {
      return content.get(file);
    }

    String where(String file) {
      return where.get(file);
    }

    /** Class names from an optional text file (one per line), or the defaults. */
    List<String> names(String file, List<String> defaults) {
      byte[] b = content.get(file);
      if (b == null) return defaults;
      List<String> names = new ArrayList<>();
      for (String line : new String(b, StandardCharsets.UTF_8).split("\\R")) {
        if (!line.isBlank()) names.add(line.trim());
      }
      if (names.size() != defaults.size()) {
        throw new DatasetFormatException(where.get(file), "lists " + names.size() + " class names, expected " + defaults.size());
      }
      return names;
    }
  }

  private static CifarFiles collect(Path source, String folderName, List<String> required, List<String> optional) {
    CifarFiles files = new CifarFiles();
    if (Files.isDirectory(source)) {
      Path dir = Files.isDirectory(source.resolve(folderName)) ? source.resolve(folderName) : source;
      files.origin = dir.toString();
      for (String f : required) {
        Path p = dir.resolve(f);
        if (!Files.isRegularFile(p)) throw new DatasetFormatException(dir.toString(), "missing " + f);
        files.content.put(f, readFile(p));
        files.where.put(f, p.toString());
      }
      for (String f : optional) {
        Path p = dir.resolve(f);
        if (Files.isRegularFile(p)) {
          files.content.put(f, readFile(p));
          files.where.put(f, p.toString());
        }
      }
      return files;
    }
    files.origin = source.toString();
    List<String> all = new ArrayList<>(required);
    all.addAll(optional);
    readArchive(source, all, files);
    for (String f : required) {
      if (!files.content.containsKey(f)) throw new DatasetFormatException(source.toString(), "archive has no " + folderName + "/" + f);
    }
    return files;
  }

  private static byte[] readFile(Path p) {
    try {
      long length = Files.size(p);
      if (length > Bytes.MAX_ARRAY) throw new DatasetFormatException(p, "file of " + length + " bytes is too large");
      return Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      throw new DatasetFormatException(p, "file not found");
    } catch (IOException e) {
      throw Bytes.readError(p.toString(), e);
    }
  }

  /** One pass over a .tar.gz (or plain .tar), keeping the entries whose base name is wanted. */
  private static void readArchive(Path archive, List<String> wanted, CifarFiles into) {
    String source = archive.toString();
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
      raw.mark(2);
      byte[] head = raw.readNBytes(2);
      raw.reset();
      InputStream in = Bytes.isGzip(head) ? new GZIPInputStream(raw, 1 << 16) : raw;
      TarReader tar = new TarReader(in, source);
      for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
        if (!e.isFile() || !wanted.contains(e.baseName()) || into.content.containsKey(e.baseName())) continue;
        into.content.put(e.baseName(), tar.readContent());
        into.where.put(e.baseName(), source + "!" + e.name());
        if (into.content.size() == wanted.size()) break;
      }
    } catch (NoSuchFileException e) {
      throw new DatasetFormatException(source, "file not found");
    } catch (IOException e) {
      throw Bytes.readError(source, e);
    }
  }
}
