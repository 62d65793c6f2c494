package dev.pvll.data;

import java.util.Arrays;
import java.util.List;

/**
 * Labelled images in memory: uint8 pixels in [N, C, H, W] order, one int label per image and the
 * class names. Immutable: the readers hand over their arrays and nothing writes to them again.
 */
public final class Dataset {
  private final String name;
  private final byte[] pixels;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;
  private final List<String> classNames;

  /**
   * Takes ownership of pixels ({@code labels.length * channels * height * width} bytes) and
   * labels (each in {@code [0, classNames.size())}).
   *
   * @throws IllegalArgumentException when sizes or labels do not fit
   */
  public Dataset(String name, byte[] pixels, int[] labels, int channels, int height, int width, List<String> classNames) {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException("image shape must be positive, got " + channels + "x" + height + "x" + width);
    }
    if (classNames.isEmpty()) throw new IllegalArgumentException("a data set needs at least one class");
    long expected = (long) labels.length * channels * height * width;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(name + ": " + pixels.length + " pixel bytes for " + labels.length
          + " images of " + channels + "x" + height + "x" + width + " (" + expected + " bytes)");
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classNames.size()) {
        throw new IllegalArgumentException(name + ": label " + labels[i] + " of image " + i + " is outside 0.." + (classNames.size() - 1));
      }
    }
    this.name = name;
    this.pixels = pixels;
    this.labels = labels;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classNames = List.copyOf(classNames);
  }

  /** A short name such as {@code fashion-mnist/train}. */
  public String name() {
    return name;
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  public int channels() {
    return channels;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /** Bytes per image: channels * height * width. */
  public int imageSize() {
    return channels * height * width;
  }

  /** Number of classes. */
  public int classCount() {
    return classNames.size();
  }

  public List<String> classNames() {
    return classNames;
  }

  /** The label of image i. */
  public int label(int i) {
    return labels[i];
  }

  /** A copy of all labels. */
  public int[] labels() {
    return labels.clone();
  }

  /** Pixel value 0..255 of image i at channel c, row y, column x. */
  public int pixel(int i, int c, int y, int x) {
    return pixels[((i * channels + c) * height + y) * width + x] & 0xFF;
  }

  /** A copy of image i's pixels in [C, H, W] order. */
  public byte[] image(int i) {
    int n = imageSize();
    return Arrays.copyOfRange(pixels, i * n, (i + 1) * n);
  }

  /** The backing pixel array, for the loader's hot loop only: never written to. */
  byte[] rawPixels() {
    return pixels;
  }

  /**
   * A checksum of the pixels and labels (CRC-32C, as hex): equal on every machine that read the
   * same images, so the ranks of a job can check that they train on the same data.
   */
  public String fingerprint() {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(pixels);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * labels.length);
    b.asIntBuffer().put(labels);
    crc.update(b.array());
    return String.format("%08x", crc.getValue());
  }

  /** Images per class, indexed by label. */
  public int[] classCounts() {
    int[] counts = new int[classNames.size()];
    for (int label : labels) counts[label]++;
    return counts;
  }

  /** A new data set holding copies of the images at the given indices, in that order. */
  public Dataset subset(String subsetName, int[] indices) {
    int n = imageSize();
    byte[] p = new byte[Math.multiplyExact(indices.length, n)];
    int[] l = new int[indices.length];
    for (int k = 0; k < indices.length; k++) {
      int i = indices[k];
      if (i < 0 || i >= labels.length) throw new IndexOutOfBoundsException("index " + i + " outside a data set of " + labels.length);
      System.arraycopy(pixels, i * n, p, k * n, n);
      l[k] = labels[i];
    }
    return new Dataset(subsetName, p, l, channels, height, width, classNames);
  }

  /** The first n images. */
  public Dataset first(int n) {
    if (n < 0 || n > labels.length) throw new IllegalArgumentException("first(" + n + ") of a data set of " + labels.length);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    return subset(name + "[0:" + n + "]", idx);
  }

  @Override
  public String toString() {
    return name + " (" + size() + " images " + channels + "x" + height + "x" + width + ", " + classCount() + " classes)";
  }
}
