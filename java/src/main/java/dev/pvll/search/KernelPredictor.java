package dev.pvll.search;

/**
 * A psi option fitted in closed form: kernel ridge regression (a Gaussian process's posterior
 * mean) on H with a linear kernel plus a radial one on the Hamming distance,
 *
 * <pre>
 *   k(h, x) = c * (h . x) / E + exp(-g * D(h, x)),   D(h, x) = (sum h + sum x - 2 h . x) / 2,
 *   psi(h)  = mu + sum_i alpha_i k(h, x_i),
 * </pre>
 *
 * where E is the number of edges (so h . x / E is the share of edges two genotypes agree on)
 * and D counts the edges where two one-hot encodings differ. The linear part is the ridge's
 * model ({@link RidgePredictor}); the radial part lets psi bend near the genotypes it has
 * measured, where a search spends its second half. The scale c, the width g and the penalty are
 * chosen at each fit from {@link #LINEAR_SCALES}, {@link #WIDTHS} and {@link #PENALTIES} by exact
 * weighted leave-one-out error, so nothing needs tuning and the same memory always gives the same psi.
 *
 * <p>Weights: each label's weight (the trainer's: 1 / label for METHOD.md's weighted loss) is
 * multiplied by {@code exp(-(label - best) / T)}, T half the labels' standard deviation, so the fit
 * spends its freedom where the search looks: among the best labels.
 *
 * <p>Why it exists: on the ten fixed landscapes of benchmarks/RESULTS.md (#18, "psi in the second
 * half of a search"), PVLL with this psi ranked each second-half label, before seeing it, with
 * Kendall tau 0.29-0.58 (median 0.44), where the ridge reached 0.15-0.49 (median 0.27); the
 * genotypes both returned tie, so the one-shot preset keeps the ridge.
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
  private static final int M = 0, C = 1, G = 2, MU = 3, HEADER = 4;

  private final ArchEncoding enc;
  private final int capacity;
  private final double[] p;
  private final int edges;

  /**
   * A predictor with no support (psi = 0 until the first fit).
   *
   * @param capacity the most labels a fit may use (the memory's capacity)
   */
  public KernelPredictor(ArchEncoding encoding, int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("kernel psi: capacity must be >= 1, got " + capacity);
    this.enc = encoding;
    this.capacity = capacity;
    this.edges = encoding.rows();
    p = new double[Math.toIntExact(HEADER + capacity + (long) capacity * encoding.size())];
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
    for (double v : h) sumH += v;
    if (paramGrad != null) paramGrad[MU] += dOut;
    for (int i = 0; i < m; i++) {
      int off = HEADER + capacity + i * n;
      double dot = 0, sumX = 0;
      for (int j = 0; j < n; j++) {
        dot += h[j] * p[off + j];
        sumX += p[off + j];
      }
      double distance = (sumH + sumX - 2 * dot) / 2, radial = Math.exp(-g * distance), alpha = p[HEADER + i];
      double k = c * dot / edges + radial;
      y += alpha * k;
      if (paramGrad != null) {
        double a = dOut * alpha;
        paramGrad[HEADER + i] += dOut * k;
        paramGrad[C] += a * dot / edges;
        paramGrad[G] -= a * radial * distance;
        // d k / d x_j = c h_j / E - g radial (1 - 2 h_j) / 2
        for (int j = 0; j < n; j++) paramGrad[off + j] += a * (c * h[j] / edges - g * radial * (1 - 2 * h[j]) / 2);
      }
      if (inputGrad != null) {
        // d k / d h_j = c x_j / E - g radial (1 - 2 x_j) / 2
        double a = dOut * alpha;
        for (int j = 0; j < n; j++) inputGrad[j] += a * (c * p[off + j] / edges - g * radial * (1 - 2 * p[off + j]) / 2);
      }
    }
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
    for (int i = 0; i < m; i++) {
      double[] a = hs[first + i];
      for (double v : a) sum[i] += v;
      for (int k = 0; k <= i; k++) {
        double[] b = hs[first + k];
        double s = 0;
        for (int j = 0; j < n; j++) s += a[j] * b[j];
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
            double v = c * dot[i * m + k] / edges + Math.exp(-g * (sum[i] + sum[k] - 2 * dot[i * m + k]) / 2);
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
    KernelPredictor q = new KernelPredictor(enc, capacity);
    System.arraycopy(p, 0, q.p, 0, p.length);
    return q;
  }

  @Override
  public String describe() {
    return "kernel ridge on H (" + enc.size() + "): linear + Hamming radial kernel, chosen by leave-one-out, up to " + capacity + " labels";
  }
}
