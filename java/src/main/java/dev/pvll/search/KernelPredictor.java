package dev.pvll.search;

/**
 * A psi option fitted in closed form: kernel ridge regression (a Gaussian process's posterior
 * mean) on H with a linear kernel plus a radial one,
 *
 * <pre>
 *   F(h)    = [h, w * a(h)],    a(h): per row, sum over ops of h[row, op] * attributes[op]
 *   k(h, x) = c * (F(h) . F(x)) / (E s) + exp(-g * D(h, x)),
 *   D(h, x) = (sum F(h) + sum F(x) - 2 F(h) . F(x)) / (2 s),
 *   psi(h)  = mu + sum_i alpha_i k(h, x_i),
 * </pre>
 *
 * where E is the number of edges (so h . x / E is the share of edges two genotypes agree on). On
 * the one-hot columns D counts the edges where two genotypes differ. The optional op attributes
 * ({@link #dartsOpAttributes()} for the DARTS ops: none, pool, skip, convolution, separable, 5x5)
 * let psi see that two ops are alike: a genotype that swaps sep_conv_3x3 for sep_conv_5x5 is
 * nearer its parent than one that swaps it for max_pool_3x3. They enter at weight w = {@link
 * #ATTRIBUTE_WEIGHT}; s = 1 + w^2 times the mean over ops of the squared attribute norm keeps the
 * linear part on the scale it has without them. On the attribute columns D is not 0 at h = x, so
 * the radial part carries a factor per genotype (exp(-g sum F / 2s), falling with its attribute
 * count); the kernel stays positive definite (that factor times exp(g F(h) . F(x) / s)).
 * Without attributes (F = h, s = 1) it is the linear-plus-Hamming kernel. The linear part is the
 * ridge's model ({@link RidgePredictor}); the radial part lets psi bend near the genotypes it has
 * measured, where a search spends its second half. The scale c, the width g and the penalty are
 * chosen at each fit from {@link #LINEAR_SCALES}, {@link #WIDTHS} and {@link #PENALTIES} by exact
 * weighted leave-one-out error, so nothing needs tuning and the same memory always gives the same
 * psi.
 *
 * <p>Weights: each label's weight (the trainer's: 1 / label for METHOD.md's weighted loss) is
 * multiplied by {@code exp(-(label - best) / T)}, T half the labels' standard deviation, so the fit
 * spends its freedom where the search looks: among the best labels.
 *
 * <p>Why it exists: on the ten fixed landscapes of benchmarks/RESULTS.md (#18, "psi in the second
 * half of a search" and "Op attributes in the kernel psi"), PVLL with this psi ranked each
 * second-half label, before seeing it, with Kendall tau 0.36-0.59 (median 0.475; 0.44 without the
 * op attributes, 0.27 with the ridge), and its final genotypes beat regularized evolution's in 9
 * of 10 seeds (6 without the attributes, 8 with the ridge). The one-shot preset keeps the ridge:
 * retrained, the two psis' genotypes tie, leaning to the ridge's (RESULTS.md, "Retraining the
 * kernel psi's finals").
 *
 * <p>Parameters (a fixed-length vector, so checkpoints and copies need nothing else): the
 * support count m, c, g, mu, then {@code capacity} alphas, then {@code capacity} support encodings.
 */
public final class KernelPredictor implements ClosedFormPredictor {
  /** Scales c of the linear kernel that leave-one-out chooses from. */
  static final double[] LINEAR_SCALES = {0.3, 1, 3};
  /** Widths g of the radial kernel (per differing edge) that leave-one-out chooses from. */
  static final double[] WIDTHS = {0.05, 0.1, 0.2};
  /** Penalties (added to the kernel's diagonal, divided by each label's weight) that leave-one-out chooses from. */
  static final double[] PENALTIES = {0.01, 0.03, 0.1, 0.3, 1, 3};

  /** The weight w of the op attributes beside the one-hot columns. */
  static final double ATTRIBUTE_WEIGHT = 0.5;
  private static final int M = 0, C = 1, G = 2, MU = 3, HEADER = 4;

  private final ArchEncoding enc;
  private final int capacity;
  private final double[] p;
  private final int edges;
  /** Per op, its attributes (null: none); [ops][attributeCount]. */
  private final double[][] attributes;
  private final int attributeCount;
  /** s: the kernel's normaliser, 1 without attributes. */
  private final double scale;

  /**
   * A predictor with no support (psi = 0 until the first fit) on the one-hot encoding alone.
   *
   * @param capacity the most labels a fit may use (the memory's capacity)
   */
  public KernelPredictor(ArchEncoding encoding, int capacity) {
    this(encoding, capacity, null);
  }

  /**
   * A predictor with no support (psi = 0 until the first fit) that also sees each op's attributes.
   *
   * @param capacity the most labels a fit may use (the memory's capacity)
   * @param opAttributes one row per op of the encoding, all of one length, entries finite and
   *     non-negative (e.g. {@link #dartsOpAttributes()}); null for the one-hot encoding alone
   */
  public KernelPredictor(ArchEncoding encoding, int capacity, double[][] opAttributes) {
    if (capacity < 1) throw new IllegalArgumentException("kernel psi: capacity must be >= 1, got " + capacity);
    this.enc = encoding;
    this.capacity = capacity;
    this.edges = encoding.rows();
    p = new double[Math.toIntExact(HEADER + capacity + (long) capacity * encoding.size())];
    if (opAttributes == null) {
      attributes = null;
      attributeCount = 0;
      scale = 1;
      return;
    }
    if (opAttributes.length != encoding.ops()) {
      throw new IllegalArgumentException("kernel psi: " + opAttributes.length + " rows of op attributes for " + encoding.ops() + " ops");
    }
    attributeCount = opAttributes[0].length; // ops >= 1: ArchEncoding refuses 0
    if (attributeCount == 0) throw new IllegalArgumentException("kernel psi: op attributes need at least one column");
    attributes = new double[opAttributes.length][];
    double squares = 0;
    for (int o = 0; o < opAttributes.length; o++) {
      if (opAttributes[o].length != attributeCount) {
        throw new IllegalArgumentException("kernel psi: op " + o + " has " + opAttributes[o].length + " attributes, op 0 has " + attributeCount);
      }
      for (double v : opAttributes[o]) {
        if (!(v >= 0) || !Double.isFinite(v)) throw new IllegalArgumentException("kernel psi: op " + o + " has attribute " + v + ", must be finite and >= 0");
        squares += v * v / opAttributes.length;
      }
      attributes[o] = opAttributes[o].clone();
    }
    scale = 1 + ATTRIBUTE_WEIGHT * ATTRIBUTE_WEIGHT * squares;
  }

  /**
   * The DARTS ops' attributes, one row per {@link dev.pvll.space.Primitive} in its order (none,
   * max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3,
   * dil_conv_5x5), columns: none, pool, skip, convolution, separable, 5x5 kernel. A fresh copy.
   */
  public static double[][] dartsOpAttributes() {
    return new double[][] {
      {1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0},
      {0, 0, 0, 1, 1, 0}, {0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 0, 0}, {0, 0, 0, 1, 0, 1}};
  }

  /** Whether this psi sees op attributes beside the one-hot columns. */
  public boolean usesOpAttributes() {
    return attributes != null;
  }

  /** The features the kernel sees: h itself, or h followed by w times each row's op attributes. */
  private double[] features(double[] h) {
    return attributes == null ? h : features(h, 0);
  }

  /** The features of the encoding stored at {@code values[offset..]}, with the op attributes (which must be set). */
  private double[] features(double[] values, int offset) {
    int rows = enc.rows(), ops = enc.ops(), n = enc.size();
    double[] f = new double[n + rows * attributeCount];
    System.arraycopy(values, offset, f, 0, n);
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < ops; o++) {
        double v = ATTRIBUTE_WEIGHT * values[offset + r * ops + o];
        if (v == 0) continue;
        for (int a = 0; a < attributeCount; a++) f[n + r * attributeCount + a] += attributes[o][a] * v;
      }
    }
    return f;
  }

  /** Adds to {@code out} (an encoding's gradient) the gradient {@code dF} of the features, pulled back through {@link #features}. */
  private void pullBack(double[] dF, double[] out, int offset) {
    int ops = enc.ops(), n = enc.size();
    for (int r = 0; r < enc.rows(); r++) {
      for (int o = 0; o < ops; o++) {
        double v = dF[r * ops + o];
        if (attributes != null) {
          for (int a = 0; a < attributeCount; a++) v += ATTRIBUTE_WEIGHT * attributes[o][a] * dF[n + r * attributeCount + a];
        }
        out[offset + r * ops + o] += v;
      }
    }
  }

  @Override
  public ArchEncoding encoding() {
    return enc;
  }

  @Override
  public double[] parameters() {
    return p;
  }

  /** Labels the last fit used (0 before the first). */
  public int supportSize() {
    return Math.min(capacity, Math.max(0, (int) p[M])); // the live vector may be written directly
  }

  /** As {@link Predictor#setParameters}; the support count must be a whole number from 0 to the capacity. */
  @Override
  public void setParameters(double[] values) {
    if (values.length == p.length && !(values[M] >= 0 && values[M] <= capacity && values[M] == Math.rint(values[M]))) {
      throw new IllegalArgumentException(describe() + ": support count " + values[M] + " is not a whole number from 0 to " + capacity);
    }
    ClosedFormPredictor.super.setParameters(values);
  }

  /** The linear kernel's scale c and the radial width g the last fit chose (both 0 before a fit on 2 labels: psi is then constant). */
  public double[] chosenKernel() {
    return new double[] {p[C], p[G]};
  }

  @Override
  public double predict(double[] h) {
    return backward(h, 0, null, null);
  }

  @Override
  public double backward(double[] h, double dOut, double[] paramGrad, double[] inputGrad) {
    enc.checkSize("architecture encoding", h);
    checkParameterGradient(paramGrad);
    if (inputGrad != null) {
      enc.checkSize("input gradient", inputGrad);
      java.util.Arrays.fill(inputGrad, 0);
    }
    int m = supportSize(), n = enc.size();
    double c = p[C], g = p[G], y = p[MU], sumH = 0;
    double[] fh = features(h);
    int nf = fh.length;
    for (double v : fh) sumH += v;
    if (paramGrad != null) paramGrad[MU] += dOut;
    double[] dFh = inputGrad == null ? null : new double[nf];
    double[] dFx = paramGrad == null ? null : new double[nf];
    for (int i = 0; i < m; i++) {
      int off = HEADER + capacity + i * n;
      double[] fx = attributes == null ? null : features(p, off);
      int base = fx == null ? off : 0;
      double[] x = fx == null ? p : fx;
      double dot = 0, sumX = 0;
      for (int j = 0; j < nf; j++) {
        dot += fh[j] * x[base + j];
        sumX += x[base + j];
      }
      double distance = (sumH + sumX - 2 * dot) / (2 * scale), radial = Math.exp(-g * distance), alpha = p[HEADER + i];
      double k = c * dot / (edges * scale) + radial;
      y += alpha * k;
      if (paramGrad != null) {
        double a = dOut * alpha;
        paramGrad[HEADER + i] += dOut * k;
        paramGrad[C] += a * dot / (edges * scale);
        paramGrad[G] -= a * radial * distance;
        // d k / d F(x)_j = c F(h)_j / (E s) - g radial (1 - 2 F(h)_j) / (2 s)
        for (int j = 0; j < nf; j++) dFx[j] = a * (c * fh[j] / (edges * scale) - g * radial * (1 - 2 * fh[j]) / (2 * scale));
        pullBack(dFx, paramGrad, off);
      }
      if (dFh != null) {
        // d k / d F(h)_j = c F(x)_j / (E s) - g radial (1 - 2 F(x)_j) / (2 s)
        double a = dOut * alpha;
        for (int j = 0; j < nf; j++) dFh[j] += a * (c * x[base + j] / (edges * scale) - g * radial * (1 - 2 * x[base + j]) / (2 * scale));
      }
    }
    if (dFh != null) pullBack(dFh, inputGrad, 0);
    return y;
  }

  /**
   * Fits psi to the labels (the last {@code capacity} if there are more): for every kernel of the
   * grid and every penalty, the weighted kernel ridge solution; the one with the smallest weighted
   * leave-one-out squared error is kept. With no labels psi stays as it is; with one, psi becomes
   * that label everywhere.
   *
   * @param hs the encodings, each {@link ArchEncoding#size()} values
   * @param labels one finite label per encoding
   * @param weights one positive, finite weight per encoding
   */
  @Override
  public void fit(double[][] hs, double[] labels, double[] weights) {
    if (labels.length != hs.length || weights.length != hs.length) {
      throw new IllegalArgumentException("kernel psi: " + hs.length + " encodings, " + labels.length + " labels, " + weights.length + " weights");
    }
    int first = Math.max(0, hs.length - capacity), m = hs.length - first, n = enc.size();
    if (m == 0) return;
    double[] y = new double[m], w = new double[m];
    double best = Double.POSITIVE_INFINITY, mean = 0, sq = 0;
    for (int i = 0; i < m; i++) {
      enc.checkSize("architecture encoding " + (first + i), hs[first + i]);
      double wi = weights[first + i], yi = labels[first + i];
      if (!(wi > 0) || !Double.isFinite(wi)) throw new IllegalArgumentException("kernel psi: weight " + (first + i) + " is " + wi + ", must be positive and finite");
      if (!Double.isFinite(yi)) throw new IllegalArgumentException("kernel psi: label " + (first + i) + " is " + yi);
      y[i] = yi;
      best = Math.min(best, yi);
      mean += yi / m;
    }
    for (double v : y) sq += (v - mean) * (v - mean) / m;
    double temperature = 0.5 * Math.sqrt(sq);
    double wSum = 0, mu = 0;
    for (int i = 0; i < m; i++) {
      w[i] = weights[first + i] * (temperature > 0 ? Math.exp(-(y[i] - best) / temperature) : 1);
      wSum += w[i];
      mu += w[i] * y[i];
    }
    mu /= wSum;
    java.util.Arrays.fill(p, 0);
    p[M] = m;
    p[MU] = mu;
    for (int i = 0; i < m; i++) System.arraycopy(hs[first + i], 0, p, HEADER + capacity + i * n, n);
    if (m < 2) return;
    double[] r = new double[m];
    for (int i = 0; i < m; i++) r[i] = y[i] - mu;
    double[] dot = new double[m * m], sum = new double[m];
    double[][] fs = new double[m][];
    for (int i = 0; i < m; i++) fs[i] = features(hs[first + i]);
    for (int i = 0; i < m; i++) {
      double[] a = fs[i];
      for (double v : a) sum[i] += v;
      for (int k = 0; k <= i; k++) {
        double[] b = fs[k];
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        dot[i * m + k] = s;
        dot[k * m + i] = s;
      }
    }
    double bestError = Double.POSITIVE_INFINITY;
    double[] kernel = new double[m * m];
    for (double c : LINEAR_SCALES) {
      for (double g : WIDTHS) {
        for (int i = 0; i < m; i++) {
          for (int k = 0; k <= i; k++) {
            double v = c * dot[i * m + k] / (edges * scale) + Math.exp(-g * (sum[i] + sum[k] - 2 * dot[i * m + k]) / (2 * scale));
            kernel[i * m + k] = v;
            kernel[k * m + i] = v;
          }
        }
        for (double lambda : PENALTIES) {
          double[] l = Cholesky.factor(kernel, m, i -> lambda / w[i]);
          if (l == null) continue; // not positive definite in floating point: skip this penalty
          double[] alpha = Cholesky.solve(l, m, r), inverseDiagonal = Cholesky.inverseDiagonal(l, m);
          // leave-one-out residual of label i: alpha_i / H_ii, H = (K + lambda W^-1)^-1
          double error = 0;
          for (int i = 0; i < m; i++) {
            double e = alpha[i] / inverseDiagonal[i];
            error += w[i] * e * e;
          }
          if (error < bestError) {
            bestError = error;
            p[C] = c;
            p[G] = g;
            System.arraycopy(alpha, 0, p, HEADER, m);
          }
        }
      }
    }
  }

  @Override
  public KernelPredictor copy() {
    KernelPredictor q = new KernelPredictor(enc, capacity, attributes);
    System.arraycopy(p, 0, q.p, 0, p.length);
    return q;
  }

  @Override
  public String describe() {
    return "kernel ridge on H (" + enc.size() + (attributes == null ? "" : ") and its ops' attributes (" + enc.rows() * attributeCount) + "): linear + radial kernel, chosen by leave-one-out, up to " + capacity + " labels";
  }
}
