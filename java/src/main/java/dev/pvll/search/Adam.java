package dev.pvll.search;

/**
 * Adam with PyTorch's semantics ({@code torch.optim.Adam}, amsgrad off): weight decay is L2
 * added to the gradient (not decoupled as in AdamW), bias-corrected moments, and
 * {@code p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)}. Updates a flat
 * double parameter vector in place.
 */
public final class Adam {
  /** Hyper-parameters (PyTorch names). */
  public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {
    public Options {
      if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("Adam lr must be >= 0 and finite, got " + lr);
      if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("Adam beta1 must be in [0, 1), got " + beta1);
      if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("Adam beta2 must be in [0, 1), got " + beta2);
      if (!(eps >= 0)) throw new IllegalArgumentException("Adam eps must be >= 0, got " + eps);
      if (!(weightDecay >= 0)) throw new IllegalArgumentException("Adam weight decay must be >= 0, got " + weightDecay);
    }

    /** With eps = 1e-8 (PyTorch's default). */
    public static Options of(double lr, double beta1, double beta2, double weightDecay) {
      return new Options(lr, beta1, beta2, 1e-8, weightDecay);
    }
  }

  /** Everything needed to continue exactly: first and second moments and the step count. */
  public record State(double[] m, double[] v, long step) {}

  private final Options options;
  private final double[] m, v;
  private long step;

  /** An optimiser for {@code size} parameters with zero moments. */
  public Adam(int size, Options options) {
    this.options = options;
    this.m = new double[size];
    this.v = new double[size];
  }

  public Options options() {
    return options;
  }

  /** Steps taken so far. */
  public long steps() {
    return step;
  }

  /** One update of {@code params} with gradient {@code grad} (not modified). */
  public void step(double[] params, double[] grad) {
    if (params.length != m.length || grad.length != m.length) {
      throw new IllegalArgumentException("Adam for " + m.length + " parameters got " + params.length + " parameters and "
          + grad.length + " gradients");
    }
    step++;
    double b1 = options.beta1, b2 = options.beta2, wd = options.weightDecay;
    double stepSize = options.lr / (1 - Math.pow(b1, step));
    double sqrtCorrection2 = Math.sqrt(1 - Math.pow(b2, step));
    for (int i = 0; i < params.length; i++) {
      double g = grad[i] + wd * params[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / sqrtCorrection2 + options.eps);
    }
  }

  /** A copy of the state. */
  public State state() {
    return new State(m.clone(), v.clone(), step);
  }

  /** Restores a state taken from an optimiser of the same size. */
  public void restore(State s) {
    if (s.m().length != m.length || s.v().length != v.length) {
      throw new IllegalArgumentException("Adam state for " + s.m().length + " parameters, this optimiser has " + m.length);
    }
    System.arraycopy(s.m(), 0, m, 0, m.length);
    System.arraycopy(s.v(), 0, v, 0, v.length);
    step = s.step();
  }
}
