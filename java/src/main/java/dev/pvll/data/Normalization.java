package dev.pvll.data;

import java.util.Arrays;

/**
 * Per-channel normalisation {@code (pixel / 255 - mean[c]) / std[c]}, with the constants
 * published for each data set.
 *
 * @param mean per-channel mean of pixel/255
 * @param std per-channel standard deviation of pixel/255
 */
public record Normalization(float[] mean, float[] std) {
  /** Fashion-MNIST (METHOD.md). */
  public static final Normalization FASHION_MNIST = of(new float[] {0.2860f}, new float[] {0.3530f});
  /** MNIST, the usual published constants. */
  public static final Normalization MNIST = of(new float[] {0.1307f}, new float[] {0.3081f});
  /** CIFAR-10 (METHOD.md, as in the DARTS code). */
  public static final Normalization CIFAR10 = of(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});
  /** CIFAR-100, the usual published constants. */
  public static final Normalization CIFAR100 = of(new float[] {0.5071f, 0.4865f, 0.4409f}, new float[] {0.2673f, 0.2564f, 0.2762f});
  /** Only scales to [0, 1]: mean 0, std 1 on every channel. */
  public static Normalization unit(int channels) {
    float[] m = new float[channels];
    float[] s = new float[channels];
    Arrays.fill(s, 1f);
    return of(m, s);
  }

  /**
   * @throws IllegalArgumentException when the arrays differ in length, are empty, or a std is not positive
   */
  public Normalization {
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("normalisation needs one mean and one std per channel, got "
          + mean.length + " and " + std.length);
    }
    for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("normalisation std must be positive, got " + Arrays.toString(std));
    mean = mean.clone();
    std = std.clone();
  }

  private static Normalization of(float[] mean, float[] std) {
    return new Normalization(mean, std);
  }

  /** Measures mean and std per channel over a data set (for image folders with no published constants). */
  public static Normalization measure(Dataset data) {
    int c = data.channels();
    int plane = data.height() * data.width();
    long[][] hist = new long[c][256];
    byte[] px = data.rawPixels();
    for (int i = 0; i < data.size(); i++) {
      for (int ch = 0; ch < c; ch++) {
        int at = (i * c + ch) * plane;
        for (int k = 0; k < plane; k++) hist[ch][px[at + k] & 0xFF]++;
      }
    }
    float[] mean = new float[c];
    float[] std = new float[c];
    for (int ch = 0; ch < c; ch++) {
      double n = 0, sum = 0, sq = 0;
      for (int v = 0; v < 256; v++) {
        double x = v / 255.0;
        n += hist[ch][v];
        sum += hist[ch][v] * x;
        sq += hist[ch][v] * x * x;
      }
      double m = sum / n;
      mean[ch] = (float) m;
      std[ch] = (float) Math.max(Math.sqrt(Math.max(sq / n - m * m, 0)), 1e-3);
    }
    return new Normalization(mean, std);
  }

  /** Number of channels. */
  public int channels() {
    return mean.length;
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  /** The value a pixel byte maps to, per channel: {@code table[c][pixel]}. */
  float[][] table(int channels) {
    if (mean.length != channels && mean.length != 1) {
      throw new IllegalArgumentException("normalisation has " + mean.length + " channels, the images " + channels);
    }
    float[][] t = new float[channels][256];
    for (int c = 0; c < channels; c++) {
      int k = mean.length == 1 ? 0 : c;
      for (int v = 0; v < 256; v++) t[c][v] = (v / 255f - mean[k]) / std[k];
    }
    return t;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
  }

  /**
   * The published constants of a data set by name (fashion-mnist and its embedded subset, mnist,
   * cifar10, cifar100), or constants measured on data for any other set.
   */
  public static Normalization forDataset(String name, Dataset data) {
    String d = name.toLowerCase();
    if (d.startsWith("fashion")) return FASHION_MNIST;
    if (d.equals("mnist")) return MNIST;
    if (d.equals("cifar10")) return CIFAR10;
    if (d.equals("cifar100")) return CIFAR100;
    return measure(data);
  }
}
