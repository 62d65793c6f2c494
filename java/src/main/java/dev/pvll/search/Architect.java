package dev.pvll.search;

/**
 * The architecture parameters A (one [rows, ops] matrix: the normal cell's edges, then the
 * reduction cell's, as {@link ArchEncoding}) with the sampler and the architecture step of
 * METHOD.md.
 *
 * <ul>
 *   <li>A starts at {@code initScale} * N(0, 1) (1e-3), drawn from the seed.
 *   <li>{@link #sample()} draws architecture number {@code counter} (then advances the counter)
 *       from the Philox stream keyed by a stream seed derived from the seed: H = softmax((A + g)
 *       / tau) with tau = 0.1, or with A replaced by zeros under the {@link Sampler#UNIFORM}
 *       sampler (the ablation's "sampler = N").
 *   <li>{@link #step} minimises psi(H(A))^2 with H(A) = softmax((A + g) / tau) and the g of the
 *       given sample (first order), by Adam with PyTorch semantics (lr 3e-4, betas (0.5, 0.999),
 *       L2 weight decay 1e-3).
 * </ul>
 *
 * <p>Sampling entropy: for Gumbel-max sampling argmax_k (A + g)[k] is distributed as softmax(A)
 * on every edge, whatever tau is, so the entropy of the empirical distribution of the chosen ops
 * tends to the entropy of softmax(A) per edge; {@link #samplingEntropies()} reports that (ln(ops)
 * for every edge under the uniform sampler), {@link #meanSamplingEntropy()} its mean over edges.
 * ln 8 = 2.079 means uniform sampling.
 */
public final class Architect {
  /** Where samples are drawn around. */
  public enum Sampler {
    /** H = softmax((A + g) / tau): METHOD.md's sampler. */
    AROUND_A,
    /** H = softmax(g / tau): uniform random architectures, A ignored (ablation "sampler = N"). */
    UNIFORM
  }

  /** What one draw is. */
  public enum Draw {
    /** An op on every edge of both cells (none included): METHOD.md's supernet architecture. */
    EVERY_EDGE,
    /**
     * A valid genotype: two inputs per node, one non-none op per kept edge, drawn from A's
     * distribution ({@link GenotypeDraw}); ours, so that every label belongs to an architecture
     * the search can return.
     */
    GENOTYPE
  }

  /**
   * Named options; {@link #defaults()} gives METHOD.md's values.
   *
   * @param adam the architecture optimiser (lr 3e-4, betas (0.5, 0.999), eps 1e-8, weight decay 1e-3)
   * @param tau Gumbel-softmax temperature (0.1, constant)
   * @param initScale A starts at initScale * N(0, 1) (1e-3)
   * @param sampler AROUND_A (default) or UNIFORM
   * @param kernelSampling draw with the fused CPU kernel (float32) instead of the Java mirror of
   *     the same stream (doubles, the default)
   * @param draw what one draw is: EVERY_EDGE (default) or GENOTYPE
   */
  public record Options(Adam.Options adam, double tau, double initScale, Sampler sampler, boolean kernelSampling, Draw draw) {
    public Options {
      if (adam == null || sampler == null || draw == null) throw new IllegalArgumentException("architect: adam, sampler and draw options are required");
      GumbelSampler.checkTau(tau);
      if (!(initScale >= 0) || Double.isInfinite(initScale)) throw new IllegalArgumentException("architect init scale must be >= 0, got " + initScale);
    }

    public static Options defaults() {
      return new Options(Adam.Options.of(3e-4, 0.5, 0.999, 1e-3), 0.1, 1e-3, Sampler.AROUND_A, false, Draw.EVERY_EDGE);
    }

    public Options withAdam(Adam.Options a) {
      return new Options(a, tau, initScale, sampler, kernelSampling, draw);
    }

    /** With another architecture learning rate, the other Adam options kept. */
    public Options withLearningRate(double lr) {
      return withAdam(new Adam.Options(lr, adam.beta1(), adam.beta2(), adam.eps(), adam.weightDecay()));
    }

    public Options withTau(double t) {
      return new Options(adam, t, initScale, sampler, kernelSampling, draw);
    }

    public Options withSampler(Sampler s) {
      return new Options(adam, tau, initScale, s, kernelSampling, draw);
    }

    public Options withKernelSampling(boolean k) {
      return new Options(adam, tau, initScale, sampler, k, draw);
    }

    public Options withDraw(Draw d) {
      return new Options(adam, tau, initScale, sampler, kernelSampling, d);
    }
  }

  /**
   * One architecture step.
   *
   * @param prediction psi(H(A)) before the step
   * @param objective psi(H(A))^2 before the step
   * @param gradientNorm Euclidean norm of d objective / d A (before weight decay)
   */
  public record StepResult(double prediction, double objective, double gradientNorm) {}

  /** Everything needed to continue exactly. */
  public record State(double[] alpha, Adam.State adam, long streamSeed, long nextCounter) {}

  private final ArchEncoding enc;
  private final Options options;
  private final double[] alpha;
  private final Adam adam;
  private long streamSeed;
  private long nextCounter;

  /** A at initScale * N(0, 1) and the Gumbel stream seed, both derived from {@code seed}. */
  public Architect(ArchEncoding encoding, Options options, long seed) {
    this.enc = encoding;
    this.options = options;
    this.alpha = new double[encoding.size()];
    SplitMix64 rng = new SplitMix64(seed);
    for (int i = 0; i < alpha.length; i++) alpha[i] = options.initScale() * rng.nextGaussian();
    this.streamSeed = rng.nextLong();
    this.adam = new Adam(alpha.length, options.adam());
  }

  public ArchEncoding encoding() {
    return enc;
  }

  public Options options() {
    return options;
  }

  /** A copy of A, flat [rows * ops]. */
  public double[] alpha() {
    return alpha.clone();
  }

  /** A copy of one cell type's A (0 normal, 1 reduction) as [edgesPerCell][ops]. */
  public double[][] alpha(int cell) {
    int e = enc.edgesPerCell(), k = enc.ops();
    double[][] out = new double[e][k];
    for (int i = 0; i < e; i++) System.arraycopy(alpha, (cell * e + i) * k, out[i], 0, k);
    return out;
  }

  /** The counter the next {@link #sample()} uses. */
  public long nextCounter() {
    return nextCounter;
  }

  /** Draws the next architecture (counter = {@link #nextCounter()}, then advanced). */
  public Architecture sample() {
    return sampleAt(nextCounter++);
  }

  /** The architecture of draw {@code counter} from the current A (the counter is not advanced). */
  public Architecture sampleAt(long counter) {
    return sampleAt(counter, options.tau());
  }

  /**
   * The architecture of draw {@code counter} at temperature tau (GDAS anneals it). With
   * {@link Draw#GENOTYPE} the same Gumbel draw picks a valid genotype ({@link GenotypeDraw}): H
   * is its encoding, the chosen op of a dropped edge is none.
   */
  public Architecture sampleAt(long counter, double tau) {
    double[] logits = options.sampler() == Sampler.UNIFORM ? new double[alpha.length] : alpha;
    Architecture edges = options.kernelSampling()
        ? GumbelSampler.sampleKernel(enc, logits, streamSeed, counter, tau)
        : GumbelSampler.sampleJava(enc, logits, streamSeed, counter, tau);
    return options.draw() == Draw.EVERY_EDGE ? edges : Architecture.of(enc, GenotypeDraw.of(enc, logits, edges.gumbel(), tau), counter, edges.gumbel());
  }

  /**
   * One Adam step on psi(H(A))^2 with the g of {@code sampled}: H = softmax((A + g) / tau) on every
   * edge, or, with {@link Draw#GENOTYPE}, the encoding of the genotype g picks at A
   * ({@link GenotypeDraw#objectiveGradient}).
   */
  public StepResult step(Predictor psi, Architecture sampled) {
    double[] grad = new double[alpha.length];
    double pred = options.draw() == Draw.EVERY_EDGE
        ? objectiveGradient(psi, alpha, sampled.gumbel(), options.tau(), grad)
        : GenotypeDraw.of(enc, alpha, sampled.gumbel(), options.tau()).objectiveGradient(psi, options.tau(), grad);
    double norm = 0;
    for (double g : grad) {
      if (!Double.isFinite(g)) throw new IllegalStateException("architecture gradient is not finite (" + g + ")");
      norm += g * g;
    }
    adam.step(alpha, grad);
    return new StepResult(pred, pred * pred, Math.sqrt(norm));
  }

  /**
   * One Adam step on A with a gradient computed elsewhere (the GDAS baseline's straight-through
   * gradient of the validation loss); returns the gradient's norm.
   */
  public double stepWithGradient(double[] grad) {
    enc.checkSize("gradient", grad);
    double norm = 0;
    for (double g : grad) {
      if (!Double.isFinite(g)) throw new IllegalStateException("architecture gradient is not finite (" + g + ")");
      norm += g * g;
    }
    adam.step(alpha, grad);
    return Math.sqrt(norm);
  }

  /**
   * The straight-through (GDAS) gradient of a loss with respect to A: the network used the hard
   * one-hot weights of the sample drawn at temperature tau, and dLoss/d(weight of the chosen op)
   * on each row is edgeGradient[row]. With h = softmax((A + g) / tau) and k the chosen op,
   * dLoss/dA[row, j] = edgeGradient[row] * h_k (1[j = k] - h_j) / tau.
   */
  public static double[] straightThroughGradient(Architecture sampled, double[] edgeGradient, double tau) {
    ArchEncoding e = sampled.encoding();
    double[] grad = new double[e.size()];
    for (int row = 0; row < e.rows(); row++) {
      int k = sampled.ops()[row];
      double hk = sampled.weight(row, k);
      for (int j = 0; j < e.ops(); j++) {
        double hj = sampled.weight(row, j);
        grad[e.index(row, j)] = edgeGradient[row] * hk * ((j == k ? 1 : 0) - hj) / tau;
      }
    }
    return grad;
  }

  /** psi(softmax((a + g) / tau))^2, the objective of the architecture step. */
  public static double objective(Predictor psi, double[] a, double[] gumbel, double tau) {
    double p = psi.predict(softH(psi.encoding(), a, gumbel, tau));
    return p * p;
  }

  /**
   * The gradient of {@link #objective} with respect to a, written into {@code gradOut}; returns
   * psi(H). Chain: dObj/dH = 2 psi dpsi/dH; per row, with z = (a + g) / tau and H = softmax(z),
   * dObj/dz_k = H_k (dObj/dH_k - sum_j H_j dObj/dH_j), and dObj/da = dObj/dz / tau.
   */
  public static double objectiveGradient(Predictor psi, double[] a, double[] gumbel, double tau, double[] gradOut) {
    ArchEncoding e = psi.encoding();
    e.checkSize("gradient", gradOut);
    double[] h = softH(e, a, gumbel, tau);
    double pred = psi.predict(h);
    double[] dh = new double[h.length];
    psi.backward(h, 2 * pred, null, dh);
    int k = e.ops();
    for (int r = 0; r < e.rows(); r++) {
      int o = r * k;
      double dot = 0;
      for (int c = 0; c < k; c++) dot += h[o + c] * dh[o + c];
      for (int c = 0; c < k; c++) gradOut[o + c] = h[o + c] * (dh[o + c] - dot) / tau;
    }
    return pred;
  }

  /** softmax((a + g) / tau) per row. */
  public static double[] softH(ArchEncoding e, double[] a, double[] gumbel, double tau) {
    e.checkSize("A", a);
    e.checkSize("gumbel", gumbel);
    GumbelSampler.checkTau(tau);
    double[] h = new double[a.length];
    int k = e.ops();
    for (int r = 0; r < e.rows(); r++) {
      int o = r * k;
      double top = Double.NEGATIVE_INFINITY, sum = 0;
      for (int c = 0; c < k; c++) top = Math.max(top, h[o + c] = (a[o + c] + gumbel[o + c]) / tau);
      for (int c = 0; c < k; c++) sum += h[o + c] = Math.exp(h[o + c] - top);
      for (int c = 0; c < k; c++) h[o + c] /= sum;
    }
    return h;
  }

  /** Per edge (row), the entropy (nats) of the distribution of the sampled op: softmax(A), or uniform. */
  public double[] samplingEntropies() {
    if (options.sampler() == Sampler.UNIFORM) {
      double[] out = new double[enc.rows()];
      java.util.Arrays.fill(out, Math.log(enc.ops()));
      return out;
    }
    return softmaxEntropies(enc, alpha);
  }

  /** Per row, the entropy (nats) of softmax(logits[row, :]); e.g. of A whatever the sampler. */
  public static double[] softmaxEntropies(ArchEncoding e, double[] logits) {
    e.checkSize("logits", logits);
    int k = e.ops();
    double[] out = new double[e.rows()];
    for (int r = 0; r < out.length; r++) {
      int o = r * k;
      double top = Double.NEGATIVE_INFINITY, z = 0, ez = 0;
      for (int c = 0; c < k; c++) top = Math.max(top, logits[o + c]);
      for (int c = 0; c < k; c++) {
        double w = Math.exp(logits[o + c] - top);
        z += w;
        ez += w * (logits[o + c] - top);
      }
      out[r] = Math.log(z) - ez / z; // -sum p log p with p = w / z and log p = (l - top) - log z
    }
    return out;
  }

  /** The mean of {@link #samplingEntropies()} over edges. */
  public double meanSamplingEntropy() {
    double s = 0;
    double[] e = samplingEntropies();
    for (double x : e) s += x;
    return s / e.length;
  }

  /** A copy of the state. */
  public State state() {
    return new State(alpha.clone(), adam.state(), streamSeed, nextCounter);
  }

  /** Restores a state taken from an architect of the same encoding. */
  public void restore(State s) {
    enc.checkSize("A in the architect state", s.alpha());
    System.arraycopy(s.alpha(), 0, alpha, 0, alpha.length);
    adam.restore(s.adam());
    streamSeed = s.streamSeed();
    nextCounter = s.nextCounter();
  }
}
