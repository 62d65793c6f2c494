package dev.pvll.search;

/** The linear algebra of a kernel ridge fit: (K + lambda W^-1) alpha = r by Cholesky, and the inverse's diagonal. */
final class KernelSolve {
  private KernelSolve() {}

  /** alpha = (K + lambda W^-1)^-1 r and the diagonal of that inverse (what leave-one-out needs). */
  record Solution(double[] alpha, double[] inverseDiagonal) {}

  /**
   * Solves with K symmetric m x m (row-major), w the positive weights and lambda > 0.
   *
   * @return the solution, or null when the matrix is not positive definite in floating point
   */
  static Solution solve(double[] k, int m, double[] w, double lambda, double[] r) {
    double[] l = new double[m * m];
    for (int j = 0; j < m; j++) {
      for (int i = 0; i <= j; i++) {
        double s = k[j * m + i] + (i == j ? lambda / w[j] : 0);
        for (int q = 0; q < i; q++) s -= l[j * m + q] * l[i * m + q];
        if (i == j) {
          if (!(s > 0)) return null;
          l[j * m + j] = Math.sqrt(s);
        } else {
          l[j * m + i] = s / l[i * m + i];
        }
      }
    }
    // z = L^-1 r, alpha = L^-T z
    double[] z = new double[m], alpha = new double[m];
    for (int j = 0; j < m; j++) {
      double s = r[j];
      for (int q = 0; q < j; q++) s -= l[j * m + q] * z[q];
      z[j] = s / l[j * m + j];
    }
    for (int j = m - 1; j >= 0; j--) {
      double s = z[j];
      for (int q = j + 1; q < m; q++) s -= l[q * m + j] * alpha[q];
      alpha[j] = s / l[j * m + j];
    }
    // diag (L L^T)^-1 = column sums of squares of L^-1: invert L column by column
    double[] diag = new double[m], col = new double[m];
    for (int c = 0; c < m; c++) {
      java.util.Arrays.fill(col, 0, c, 0);
      col[c] = 1 / l[c * m + c];
      double sq = col[c] * col[c];
      for (int j = c + 1; j < m; j++) {
        double s = 0;
        for (int q = c; q < j; q++) s -= l[j * m + q] * col[q];
        col[j] = s / l[j * m + j];
        sq += col[j] * col[j];
      }
      // (L^-T L^-1)_cc = sum_j (L^-1)_jc^2
      diag[c] = sq;
    }
    return new Solution(alpha, diag);
  }
}
