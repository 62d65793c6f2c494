package dev.pvll.search;

import java.util.function.IntToDoubleFunction;

/**
 * Dense Cholesky factoring and solves for the closed-form psi fits ({@link RidgePredictor},
 * {@link KernelPredictor}): row-major n x n, only the lower triangle of the input read.
 */
final class Cholesky {
  private Cholesky() {}

  /**
   * The lower factor L of (lower triangle of a) + diag(add(0), ..., add(n - 1)).
   *
   * @return L, or null when the matrix is not positive definite in floating point
   */
  static double[] factor(double[] a, int n, IntToDoubleFunction add) {
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      for (int k = 0; k <= j; k++) {
        double s = a[j * n + k] + (j == k ? add.applyAsDouble(j) : 0);
        for (int q = 0; q < k; q++) s -= l[j * n + q] * l[k * n + q];
        if (j == k) {
          if (!(s > 0)) return null;
          l[j * n + j] = Math.sqrt(s);
        } else {
          l[j * n + k] = s / l[k * n + k];
        }
      }
    }
    return l;
  }

  /** z = L^-1 x. */
  static void forward(double[] l, int n, double[] x, double[] z) {
    for (int j = 0; j < n; j++) {
      double s = x[j];
      for (int q = 0; q < j; q++) s -= l[j * n + q] * z[q];
      z[j] = s / l[j * n + j];
    }
  }

  /** (L L^T)^-1 x. */
  static double[] solve(double[] l, int n, double[] x) {
    double[] z = new double[n], y = new double[n];
    forward(l, n, x, z);
    for (int j = n - 1; j >= 0; j--) {
      double s = z[j];
      for (int q = j + 1; q < n; q++) s -= l[q * n + j] * y[q];
      y[j] = s / l[j * n + j];
    }
    return y;
  }

  /** The diagonal of (L L^T)^-1: entry c is the sum of squares of column c of L^-1, found column by column. */
  static double[] inverseDiagonal(double[] l, int n) {
    double[] diag = new double[n], col = new double[n];
    for (int c = 0; c < n; c++) {
      java.util.Arrays.fill(col, 0, c, 0);
      col[c] = 1 / l[c * n + c];
      double sq = col[c] * col[c];
      for (int j = c + 1; j < n; j++) {
        double s = 0;
        for (int q = c; q < j; q++) s -= l[j * n + q] * col[q];
        col[j] = s / l[j * n + j];
        sq += col[j] * col[j];
      }
      diag[c] = sq;
    }
    return diag;
  }
}
