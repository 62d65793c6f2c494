package dev.pvll.data;

/**
 * What happens to a uint8 image on its way into a batch: random crop after zero padding,
 * horizontal flip, cutout, then per-channel normalisation. The random choices for a sample depend
 * only on (seed, epoch, index of the sample in its data set), never on the batch size, the order
 * or the thread that prepares it, so every run with the same seed sees the same images.
 *
 * <p>Conventions follow the DARTS code: padding adds zero-valued pixels before the crop (so they
 * normalise to {@code -mean/std}); the flip mirrors the cropped image; the cutout square of side
 * {@code cutout} is centred on a uniformly drawn pixel, clipped at the borders, and set to 0
 * after normalisation.
 *
 * @param padding pixels of zero padding on each side before a random crop back to the original
 *     size; 0 for no crop
 * @param flip whether to mirror left-right with probability 1/2
 * @param cutout side of the cutout square; 0 for none
 * @param normalization per-channel mean and std
 */
public record Augmentation(int padding, boolean flip, int cutout, Normalization normalization) {
  /** METHOD.md's crop padding. */
  public static final int DEFAULT_PADDING = 4;

  /**
   * @throws IllegalArgumentException on a negative padding or cutout
   */
  public Augmentation {
    if (padding < 0) throw new IllegalArgumentException("crop padding must be >= 0, got " + padding);
    if (cutout < 0) throw new IllegalArgumentException("cutout length must be >= 0, got " + cutout);
    if (normalization == null) throw new IllegalArgumentException("normalization is required");
  }

  /** The search's training augmentation (METHOD.md): crop with padding 4 and flip, no cutout. */
  public static Augmentation training(Normalization n) {
    return new Augmentation(DEFAULT_PADDING, true, 0, n);
  }

  /** Normalisation only: for validation and test. */
  public static Augmentation none(Normalization n) {
    return new Augmentation(0, false, 0, n);
  }

  /** The same with a cutout of this side (the DARTS evaluation uses 16). */
  public Augmentation withCutout(int length) {
    return new Augmentation(padding, flip, length, normalization);
  }

  /** The same with or without the horizontal flip. */
  public Augmentation withFlip(boolean on) {
    return new Augmentation(padding, on, cutout, normalization);
  }

  /** The same with another crop padding. */
  public Augmentation withPadding(int pixels) {
    return new Augmentation(pixels, flip, cutout, normalization);
  }

  /** Whether anything random happens. */
  public boolean isRandom() {
    return padding > 0 || flip || cutout > 0;
  }

  /** The random choices for one sample. */
  record Draw(int dy, int dx, boolean flip, int cutY, int cutX) {}

  /** The choices for sample {@code index} in epoch {@code epoch} of a run with this seed. */
  Draw draw(long seed, int epoch, int index, int height, int width) {
    long s = mix(seed, epoch, index);
    long r1 = next(s);
    long r2 = next(r1);
    long r3 = next(r2);
    long r4 = next(r3);
    long r5 = next(r4);
    int span = 2 * padding + 1;
    return new Draw(
        padding > 0 ? below(r1, span) : padding,
        padding > 0 ? below(r2, span) : padding,
        flip && (r3 >>> 63) == 1,
        below(r4, height),
        below(r5, width));
  }

  /**
   * Writes the augmented, normalised image {@code index} of data into out[at .. at + C*H*W).
   *
   * @param table normalisation table from {@link Normalization#table}
   */
  void apply(Dataset data, int index, long seed, int epoch, float[][] table, float[] out, int at) {
    int c = data.channels();
    int h = data.height();
    int w = data.width();
    int plane = h * w;
    byte[] px = data.rawPixels();
    int src0 = index * c * plane;
    Draw d = draw(seed, epoch, index, h, w);
    int oy = d.dy() - padding; // source row = y + oy
    int ox = d.dx() - padding; // source column = (flip ? w-1-x : x) + ox
    for (int ch = 0; ch < c; ch++) {
      float[] lut = table[ch];
      float pad = lut[0];
      int src = src0 + ch * plane;
      int dst = at + ch * plane;
      for (int y = 0; y < h; y++) {
        int sy = y + oy;
        int row = dst + y * w;
        if (sy < 0 || sy >= h) {
          java.util.Arrays.fill(out, row, row + w, pad);
          continue;
        }
        int srow = src + sy * w;
        // columns x whose source column lies inside the image
        int lo;
        int hi;
        if (!d.flip()) {
          lo = Math.min(w, Math.max(0, -ox));
          hi = Math.max(lo, Math.min(w, w - ox));
          for (int x = 0; x < lo; x++) out[row + x] = pad;
          for (int x = lo; x < hi; x++) out[row + x] = lut[px[srow + x + ox] & 0xFF];
          for (int x = hi; x < w; x++) out[row + x] = pad;
        } else {
          // source column = w-1-x+ox in [0, w)  <=>  x in [ox, w-1+ox]
          lo = Math.min(w, Math.max(0, ox));
          hi = Math.max(lo, Math.min(w, w + ox));
          int base = srow + w - 1 + ox;
          for (int x = 0; x < lo; x++) out[row + x] = pad;
          for (int x = lo; x < hi; x++) out[row + x] = lut[px[base - x] & 0xFF];
          for (int x = hi; x < w; x++) out[row + x] = pad;
        }
      }
    }
    if (cutout > 0) {
      int y1 = Math.max(0, d.cutY() - cutout / 2);
      int y2 = Math.min(h, d.cutY() + cutout / 2);
      int x1 = Math.max(0, d.cutX() - cutout / 2);
      int x2 = Math.min(w, d.cutX() + cutout / 2);
      if (x2 > x1) {
        for (int ch = 0; ch < c; ch++) {
          for (int y = y1; y < y2; y++) {
            int row = at + ch * plane + y * w;
            java.util.Arrays.fill(out, row + x1, row + x2, 0f);
          }
        }
      }
    }
  }

  /** A well-mixed 64-bit value of (seed, a, b): SplitMix64 finalisers chained. */
  static long mix(long seed, long a, long b) {
    long s = fmix(seed + 0x9E3779B97F4A7C15L);
    s = fmix(s ^ (a * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L));
    return fmix(s ^ (b * 0x9E3779B97F4A7C15L + 0x27D4EB2F165667C5L));
  }

  private static long next(long s) {
    return fmix(s + 0x9E3779B97F4A7C15L);
  }

  private static long fmix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, n) from the high 32 bits. */
  private static int below(long r, int n) {
    return (int) (((r >>> 32) * n) >>> 32);
  }
}
