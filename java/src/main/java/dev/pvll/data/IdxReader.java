package dev.pvll.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The IDX format of MNIST and Fashion-MNIST, raw or gzip (told apart by the magic number): two
 * zero bytes, a data type byte (only 0x08, unsigned byte, is used by these data sets), the number
 * of dimensions, each dimension as a big-endian int32, then the data. Every size is checked
 * against the bytes really present before anything is allocated from it.
 */
public final class IdxReader {
  private static final long SATURATED = 1L << 62;

  private IdxReader() {}

  /** An IDX array of unsigned bytes: its dimensions and data, and where it came from. */
  public record IdxArray(int[] dims, byte[] data, String source) {}

  /** Reads one IDX file (raw or gzip). */
  public static IdxArray read(Path file) {
    return parse(Bytes.readMaybeGzip(file), file.toString());
  }

  /** Parses the decompressed bytes of an IDX file. */
  static IdxArray parse(byte[] content, String source) {
    if (content.length < 4) throw new DatasetFormatException(source, "too short for an IDX header (" + content.length + " bytes)");
    int magic = readInt(content, 0);
    if (content[0] != 0 || content[1] != 0) {
      throw new DatasetFormatException(source, String.format("wrong magic number 0x%08x: not an IDX file", magic));
    }
    if (content[2] != 0x08) {
      throw new DatasetFormatException(source, String.format(
          "wrong magic number 0x%08x: IDX data type 0x%02x is not unsigned byte (0x08)", magic, content[2] & 0xFF));
    }
    int rank = content[3] & 0xFF;
    if (rank < 1 || rank > 4) throw new DatasetFormatException(source, "IDX header gives " + rank + " dimensions, expected 1 to 4");
    int header = 4 + 4 * rank;
    if (content.length < header) {
      throw new DatasetFormatException(source, "truncated IDX header: " + rank + " dimensions need " + header + " bytes, file holds " + content.length);
    }
    int[] dims = new int[rank];
    long count = 1;
    for (int d = 0; d < rank; d++) {
      dims[d] = readInt(content, 4 + 4 * d);
      if (dims[d] < 0) throw new DatasetFormatException(source, "dimension " + d + " is negative (" + dims[d] + ")");
      // saturating product: anything above the file length only needs to stay above it
      count = dims[d] == 0 ? 0 : (count > SATURATED / dims[d] ? SATURATED : count * dims[d]);
    }
    long present = content.length - header;
    if (count > present) {
      throw new DatasetFormatException(source, "truncated: header " + Arrays.toString(dims) + " promises "
          + (count == SATURATED ? "more than " + present : count) + " data bytes, file holds " + present);
    }
    if (count < present) {
      throw new DatasetFormatException(source, (present - count) + " bytes after the data that header " + Arrays.toString(dims) + " describes");
    }
    return new IdxArray(dims, Arrays.copyOfRange(content, header, content.length), source);
  }

  /** Reads an images file [N, rows, cols] and a labels file [N] into a one-channel data set. */
  public static Dataset readDataset(Path images, Path labels, String name, List<String> classNames) {
    return toDataset(read(images), read(labels), name, classNames);
  }

  /** Pairs parsed images and labels, checking shapes, counts and label range. */
  static Dataset toDataset(IdxArray images, IdxArray labels, String name, List<String> classNames) {
    if (images.dims().length != 3) {
      throw new DatasetFormatException(images.source(), "images file has " + images.dims().length + " dimensions, expected 3 (count, rows, columns)");
    }
    if (labels.dims().length != 1) {
      throw new DatasetFormatException(labels.source(), "labels file has " + labels.dims().length + " dimensions, expected 1 (count)");
    }
    int n = images.dims()[0];
    if (n != labels.dims()[0]) {
      throw new DatasetFormatException(images.source() + " and " + labels.source(), n + " images but " + labels.dims()[0] + " labels");
    }
    if (n == 0) throw new DatasetFormatException(images.source(), "holds no images");
    if (images.dims()[1] == 0 || images.dims()[2] == 0) {
      throw new DatasetFormatException(images.source(), "images of " + images.dims()[1] + "x" + images.dims()[2] + " pixels");
    }
    byte[] l = labels.data();
    int[] ints = new int[n];
    for (int i = 0; i < n; i++) {
      ints[i] = l[i] & 0xFF;
      if (ints[i] >= classNames.size()) {
        throw new DatasetFormatException(labels.source(), "label " + ints[i] + " of image " + i + " is out of range 0.." + (classNames.size() - 1));
      }
    }
    return new Dataset(name, images.data(), ints, 1, images.dims()[1], images.dims()[2], classNames);
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
  }
}
