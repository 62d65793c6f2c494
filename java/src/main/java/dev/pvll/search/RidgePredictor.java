package dev.pvll.search;

import java.util.Arrays;

/**
 * A psi option fitted in closed form: linear in H, one weight per edge and op plus a bias
 * (225 parameters for DARTS), psi(H) = b + w . H, fitted on the memory by weighted ridge
 * regression with the intercept unpenalised. The penalty is chosen at each fit from
 * {@link #PENALTIES} by exact weighted leave-one-out error, so there is nothing to tune and no
 * optimiser state: the same memory always gives the same psi.
 *
 * <p>Why it exists: on fixed-landscape comparisons (benchmarks/RESULTS.md, #18) the MLP and LSTM
 * trained by Adam ranked the next, unseen label with Kendall tau 0.1-0.35, while this ridge on the
 * same one-hot encoding ranked held-out labels with tau near 0.68 (150 labels, six landscapes).
 * Its input gradient is w itself, so the architecture step moves each edge toward the ops psi
 * scores lowest on that edge.
 */
public final class RidgePredictor implements ClosedFormPredictor {
  /** The penalties leave-one-out chooses from (features are one-hot, so these are on the scale of one label's weight). */
  static final double[] PENALTIES = {0.1, 0.3, 1, 3, 10, 30, 100};

  private final ArchEncoding enc;
  private final double[] p; // w at 0..size-1, then b
  private double penalty = Double.NaN;
  private double[] leaveOneOutErrors = new double[0];

  /** A predictor with every parameter zero (psi = 0 until the first fit). */
  public RidgePredictor(ArchEncoding encoding) {
    this.enc = encoding;
    p = new double[encoding.size() + 1];
  }

  @Override
  public ArchEncoding encoding() {
    return enc;
  }

  @Override
  public double[] parameters() {
    return p;
  }

  @Override
  public double predict(double[] h) {
    enc.checkSize("architecture encoding", h);
    int n = enc.size();
    double z = p[n];
    for (int i = 0; i < n; i++) z += p[i] * h[i];
    return z;
  }

  @Override
  public double backward(double[] h, double dOut, double[] paramGrad, double[] inputGrad) {
    double y = predict(h);
    checkParameterGradient(paramGrad);
    int n = enc.size();
    if (paramGrad != null) {
      for (int i = 0; i < n; i++) paramGrad[i] += dOut * h[i];
      paramGrad[n] += dOut;
    }
    if (inputGrad != null) {
      enc.checkSize("input gradient", inputGrad);
      for (int i = 0; i < n; i++) inputGrad[i] = dOut * p[i];
    }
    return y;
  }

  /** The penalty the last fit chose (NaN before the first fit, or after a fit on fewer than 2 labels). */
  public double penalty() {
    return penalty;
  }

  /** The last fit's weighted leave-one-out squared error for each of {@link #PENALTIES} (empty before a fit on 2 labels). */
  double[] leaveOneOutErrors() {
    return leaveOneOutErrors.clone();
  }

  /**
   * Fits w and b to the labels with weights (e.g. 1 / label for METHOD.md's weighted loss): the
   * weighted ridge solution for each penalty of {@link #PENALTIES}, keeping the one with the
   * smallest weighted leave-one-out squared error (ties: the larger penalty). With no labels psi
   * stays as it is; with one, psi becomes that label everywhere.
   *
   * @param hs the encodings, each {@link ArchEncoding#size()} values
   * @param labels one label per encoding, finite
   * @param weights one positive, finite weight per encoding
   */
  @Override
  public void fit(double[][] hs, double[] labels, double[] weights) {
    int m = hs.length, n = enc.size();
    if (labels.length != m || weights.length != m) {
      throw new IllegalArgumentException("ridge psi: " + m + " encodings, " + labels.length + " labels, " + weights.length + " weights");
    }
    if (m == 0) return;
    double wSum = 0, yMean = 0;
    double[] xMean = new double[n];
    for (int i = 0; i < m; i++) {
      enc.checkSize("architecture encoding " + i, hs[i]);
      if (!(weights[i] > 0) || !Double.isFinite(weights[i])) throw new IllegalArgumentException("ridge psi: weight " + i + " is " + weights[i] + ", must be positive and finite");
      if (!Double.isFinite(labels[i])) throw new IllegalArgumentException("ridge psi: label " + i + " is " + labels[i]);
      wSum += weights[i];
      yMean += weights[i] * labels[i];
      for (int j = 0; j < n; j++) xMean[j] += weights[i] * hs[i][j];
    }
    yMean /= wSum;
    for (int j = 0; j < n; j++) xMean[j] /= wSum;
    Arrays.fill(p, 0);
    p[n] = yMean;
    penalty = Double.NaN;
    leaveOneOutErrors = new double[0];
    if (m < 2) return;
    leaveOneOutErrors = new double[PENALTIES.length];

    double[][] a = new double[m][n]; // centred encodings
    double[] r = new double[m]; // centred labels
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) a[i][j] = hs[i][j] - xMean[j];
      r[i] = labels[i] - yMean;
    }
    double[] gram = new double[n * n], rhs = new double[n];
    for (int i = 0; i < m; i++) {
      double wi = weights[i];
      for (int j = 0; j < n; j++) {
        double v = wi * a[i][j];
        if (v == 0) continue;
        rhs[j] += v * r[i];
        for (int k = 0; k <= j; k++) gram[j * n + k] += v * a[i][k];
      }
    }
    double bestError = Double.POSITIVE_INFINITY;
    double[] best = null;
    for (int c = PENALTIES.length - 1; c >= 0; c--) {
      double lambda = PENALTIES[c];
      double[] chol = Cholesky.factor(gram, n, j -> lambda);
      if (chol == null) { // not positive definite in floating point (gram + lambda I never is): skip this penalty
        leaveOneOutErrors[c] = Double.NaN;
        continue;
      }
      double[] w = Cholesky.solve(chol, n, rhs);
      double error = 0, z[] = new double[n];
      for (int i = 0; i < m; i++) {
        double fitted = 0;
        for (int j = 0; j < n; j++) fitted += w[j] * a[i][j];
        Cholesky.forward(chol, n, a[i], z);
        double leverage = weights[i] / wSum;
        for (int j = 0; j < n; j++) leverage += weights[i] * z[j] * z[j];
        double e = (r[i] - fitted) / Math.max(1e-12, 1 - leverage);
        error += weights[i] * e * e;
      }
      leaveOneOutErrors[c] = error;
      if (error < bestError) {
        bestError = error;
        best = w;
        penalty = lambda;
      }
    }
    double b = yMean;
    for (int j = 0; j < n; j++) {
      p[j] = best[j];
      b -= best[j] * xMean[j];
    }
    p[n] = b;
  }

  @Override
  public RidgePredictor copy() {
    RidgePredictor q = new RidgePredictor(enc);
    System.arraycopy(p, 0, q.p, 0, p.length);
    q.penalty = penalty;
    q.leaveOneOutErrors = leaveOneOutErrors.clone();
    return q;
  }

  @Override
  public String describe() {
    return "ridge regression on H (" + enc.size() + ") -> Linear(" + enc.size() + ", 1), penalty by leave-one-out, " + p.length + " parameters";
  }
}
