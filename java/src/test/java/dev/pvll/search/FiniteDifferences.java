package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.ToDoubleFunction;

/** Central finite differences in double and the comparison of an analytic gradient with them. */
final class FiniteDifferences {
  private FiniteDifferences() {}

  /** d f / d x by (f(x + eps e_i) - f(x - eps e_i)) / 2 eps; x is restored. */
  static double[] gradient(ToDoubleFunction<double[]> f, double[] x, double eps) {
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double keep = x[i];
      x[i] = keep + eps;
      double up = f.applyAsDouble(x);
      x[i] = keep - eps;
      double down = f.applyAsDouble(x);
      x[i] = keep;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  }

  /** Fails unless |fd - analytic| <= atol + rtol * |fd| everywhere; reports the worst entries. */
  static void assertClose(String what, double[] fd, double[] analytic, double atol, double rtol, long seed) {
    StringBuilder sb = new StringBuilder();
    int bad = 0;
    double worst = 0, scale = 0;
    for (int i = 0; i < fd.length; i++) {
      double diff = Math.abs(fd[i] - analytic[i]);
      worst = Math.max(worst, diff);
      scale = Math.max(scale, Math.abs(fd[i]));
      if (!(diff <= atol + rtol * Math.abs(fd[i]))) {
        if (bad < 10) sb.append(String.format("%n  at %d: finite difference %.12g, analytic %.12g", i, fd[i], analytic[i]));
        bad++;
      }
    }
    System.out.printf("%s: %d entries, largest |gradient| %.3g, worst |fd - analytic| %.3g%n", what, fd.length, scale, worst);
    if (bad > 0) fail(String.format("%s: %d of %d entries differ (atol %.1e, rtol %.1e), seed %d:%s", what, bad, fd.length, atol, rtol, seed, sb));
  }
}
