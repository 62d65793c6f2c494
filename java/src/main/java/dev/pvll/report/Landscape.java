package dev.pvll.report;

import dev.pvll.search.Memory;
import dev.pvll.search.Predictor;
import java.util.List;

/**
 * The proxy validation loss landscape in two dimensions: the principal plane of the
 * architecture encodings H in the memory (PCA), psi evaluated on a grid over that plane, and
 * the evaluated architectures projected onto it.
 */
final class Landscape {
  final double[] mean;
  final double[][] axes = new double[2][];
  final double[][] points; // [n][2] projections of the memory's encodings
  final double[] labels;

  Landscape(Memory memory) {
    List<Memory.Entry> entries = memory.entries();
    int n = entries.size(), d = entries.get(0).h().length;
    mean = new double[d];
    for (Memory.Entry e : entries) for (int i = 0; i < d; i++) mean[i] += e.h()[i] / n;
    double[][] x = new double[n][d];
    for (int k = 0; k < n; k++) for (int i = 0; i < d; i++) x[k][i] = entries.get(k).h()[i] - mean[i];
    for (int a = 0; a < 2; a++) axes[a] = principalAxis(x, a == 0 ? null : axes[0]);
    points = new double[n][2];
    labels = new double[n];
    for (int k = 0; k < n; k++) {
      points[k][0] = dot(x[k], axes[0]);
      points[k][1] = dot(x[k], axes[1]);
      labels[k] = entries.get(k).label();
    }
  }

  /** psi at the point (u, v) of the plane. */
  double predict(Predictor psi, double u, double v) {
    double[] h = mean.clone();
    for (int i = 0; i < h.length; i++) h[i] += u * axes[0][i] + v * axes[1][i];
    return psi.predict(h);
  }

  /** Power iteration on the covariance, orthogonal to {@code except}; deterministic start. */
  private static double[] principalAxis(double[][] x, double[] except) {
    int d = x[0].length;
    double[] v = new double[d];
    for (int i = 0; i < d; i++) v[i] = 1.0 + 0.01 * i;
    normalise(v, except);
    for (int iter = 0; iter < 200; iter++) {
      double[] w = new double[d];
      for (double[] row : x) {
        double p = dot(row, v);
        for (int i = 0; i < d; i++) w[i] += p * row[i];
      }
      if (!normalise(w, except)) return v;
      v = w;
    }
    return v;
  }

  private static boolean normalise(double[] v, double[] except) {
    if (except != null) {
      double p = dot(v, except);
      for (int i = 0; i < v.length; i++) v[i] -= p * except[i];
    }
    double norm = Math.sqrt(dot(v, v));
    if (norm < 1e-12) return false;
    for (int i = 0; i < v.length; i++) v[i] /= norm;
    return true;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
