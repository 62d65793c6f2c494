package dev.pvll.search;

import java.util.List;

/**
 * Fits psi on the memory as METHOD.md says: Adam (lr 1e-3, betas (0.5, 0.999)) on minibatches
 * of 64 drawn from M, the mean squared or the 1/L-weighted loss, and {@link #refit} for up to
 * 500 passes, stopping early when Kendall's tau between psi's predictions and the labels in M
 * exceeds 0.95.
 *
 * <p>A pass is one epoch over M: M is shuffled (with this trainer's own {@link SplitMix64}) and
 * cut into minibatches of {@code batchSize} (the last one smaller), one Adam step each. With
 * |M| = 100 and batch 64 a pass is two steps. Tau is checked after every pass, on all of M.
 * The authors' code does not say what one "pass" is; the choice only scales {@code maxPasses}.
 * A {@link ClosedFormPredictor} (ridge, kernel) is not trained by Adam: a refit fits it in closed form.
 */
public final class PredictorTrainer {
  /** The regression loss on a minibatch B. */
  public enum Loss {
    /** mean_i (psi(H_i) - L_i)^2 */
    MSE,
    /** mean_i (1 / L_i) (psi(H_i) - L_i)^2: stresses low-loss architectures (labels must be > 0). */
    WEIGHTED;

    double weight(double label) {
      return this == MSE ? 1 : 1 / label;
    }
  }

  /**
   * Named options; {@link #defaults()} gives METHOD.md's values.
   *
   * @param loss MSE or WEIGHTED (default WEIGHTED: the slides' full method, ablation row Y/Y/Y)
   * @param adam Adam's hyper-parameters (default lr 1e-3, betas (0.5, 0.999), eps 1e-8, no decay)
   * @param batchSize minibatch size (default 64)
   * @param maxPasses passes of one refit (default 500)
   * @param stopTau stop a refit once Kendall tau on M exceeds this (default 0.95; use a value
   *     above 1 to always run maxPasses)
   */
  public record Options(Loss loss, Adam.Options adam, int batchSize, int maxPasses, double stopTau) {
    public Options {
      if (loss == null || adam == null) throw new IllegalArgumentException("psi trainer: loss and adam options are required");
      if (batchSize < 1) throw new IllegalArgumentException("psi batch size must be >= 1, got " + batchSize);
      if (maxPasses < 0) throw new IllegalArgumentException("psi refit passes must be >= 0, got " + maxPasses);
      if (Double.isNaN(stopTau)) throw new IllegalArgumentException("psi stop tau must be a number");
    }

    public static Options defaults() {
      return new Options(Loss.WEIGHTED, Adam.Options.of(1e-3, 0.5, 0.999, 0), 64, 500, 0.95);
    }

    public Options withLoss(Loss l) {
      return new Options(l, adam, batchSize, maxPasses, stopTau);
    }

    public Options withAdam(Adam.Options a) {
      return new Options(loss, a, batchSize, maxPasses, stopTau);
    }

    public Options withBatchSize(int b) {
      return new Options(loss, adam, b, maxPasses, stopTau);
    }

    public Options withMaxPasses(int p) {
      return new Options(loss, adam, batchSize, p, stopTau);
    }

    public Options withStopTau(double t) {
      return new Options(loss, adam, batchSize, maxPasses, t);
    }
  }

  /**
   * What a refit did.
   *
   * @param passes passes run
   * @param stoppedEarly whether tau exceeded the stop value before maxPasses
   * @param tau Kendall tau on M after the last pass (NaN when undefined, e.g. |M| < 2)
   * @param lossBefore loss on all of M before the refit
   * @param lossAfter loss on all of M after it
   */
  public record RefitResult(int passes, boolean stoppedEarly, double tau, double lossBefore, double lossAfter) {}

  /** Everything needed to continue exactly: psi's parameters, Adam's state, the shuffling RNG. */
  public record State(double[] parameters, Adam.State adam, long rngState) {}

  private final Predictor psi;
  private final Options options;
  private final Adam adam;
  private final SplitMix64 rng;
  private final double[] grad;

  /** A trainer of psi; {@code seed} drives the minibatch shuffles. */
  public PredictorTrainer(Predictor psi, Options options, long seed) {
    this.psi = psi;
    this.options = options;
    this.adam = new Adam(psi.parameterCount(), options.adam());
    this.rng = new SplitMix64(seed);
    this.grad = new double[psi.parameterCount()];
  }

  public Predictor predictor() {
    return psi;
  }

  public Options options() {
    return options;
  }

  /** psi's predictions for the architectures in M, oldest first. */
  public double[] predictions(Memory m) {
    return psi.forwardBatch(inputs(m.entries()));
  }

  /** Kendall's tau-b between psi's predictions and the labels in M. */
  public double kendallTau(Memory m) {
    return KendallTau.tau(predictions(m), m.labels());
  }

  /** The loss on all of M (0 when empty). */
  public double loss(Memory m) {
    List<Memory.Entry> e = m.entries();
    double[] pred = psi.forwardBatch(inputs(e));
    double sum = 0;
    for (int i = 0; i < pred.length; i++) {
      double r = pred[i] - e.get(i).label();
      sum += weight(e.get(i).label()) * r * r;
    }
    return e.isEmpty() ? 0 : sum / e.size();
  }

  /**
   * The loss on the given entries and its gradient with respect to psi's parameters, written
   * into {@code gradOut} (overwritten).
   */
  public double lossAndGradient(List<Memory.Entry> batch, double[] gradOut) {
    java.util.Arrays.fill(gradOut, 0);
    double[][] hs = inputs(batch);
    double[] pred = psi.forwardBatch(hs), dOut = new double[hs.length];
    double sum = 0, n = batch.size();
    for (int i = 0; i < hs.length; i++) {
      double w = weight(batch.get(i).label()), r = pred[i] - batch.get(i).label();
      sum += w * r * r;
      dOut[i] = 2 * w * r / n;
    }
    psi.backwardBatch(hs, dOut, gradOut);
    return sum / n;
  }

  /** One pass over M in shuffled minibatches; returns the mean minibatch loss. */
  public double pass(Memory m) {
    List<Memory.Entry> e = m.entries();
    if (e.isEmpty()) return 0;
    int[] order = new int[e.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    rng.shuffle(order);
    double total = 0;
    int batches = 0;
    for (int start = 0; start < order.length; start += options.batchSize()) {
      int end = Math.min(order.length, start + options.batchSize());
      Memory.Entry[] batch = new Memory.Entry[end - start];
      for (int i = start; i < end; i++) batch[i - start] = e.get(order[i]);
      total += lossAndGradient(List.of(batch), grad);
      checkFinite();
      adam.step(psi.parameters(), grad);
      batches++;
    }
    return total / batches;
  }

  /** Refits with the options' maxPasses and stopTau. */
  public RefitResult refit(Memory m) {
    return refit(m, options.maxPasses(), options.stopTau());
  }

  /** Up to {@code maxPasses} passes, stopping after the first pass whose tau on M exceeds stopTau. */
  public RefitResult refit(Memory m, int maxPasses, double stopTau) {
    if (psi instanceof ClosedFormPredictor closed) return fitInClosedForm(closed, m);
    double before = loss(m), tau = Double.NaN;
    int passes = 0;
    boolean early = false;
    while (passes < maxPasses) {
      pass(m);
      passes++;
      tau = kendallTau(m);
      if (tau > stopTau) {
        early = true;
        break;
      }
    }
    if (passes == 0) tau = kendallTau(m);
    return new RefitResult(passes, early, tau, before, loss(m));
  }

  /** A closed-form psi is fitted once, whatever the pass settings: one "pass", no optimiser step. */
  private RefitResult fitInClosedForm(ClosedFormPredictor psi, Memory m) {
    double before = loss(m);
    List<Memory.Entry> e = m.entries();
    double[] labels = new double[e.size()], weights = new double[e.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = e.get(i).label();
      weights[i] = weight(labels[i]);
    }
    psi.fit(inputs(e), labels, weights);
    return new RefitResult(1, false, kendallTau(m), before, loss(m));
  }

  /** A copy of the state. */
  public State state() {
    return new State(psi.parameters().clone(), adam.state(), rng.state());
  }

  /** Restores a state taken from a trainer of the same predictor shape. */
  public void restore(State s) {
    psi.setParameters(s.parameters());
    adam.restore(s.adam());
    rng.setState(s.rngState());
  }

  private static double[][] inputs(List<Memory.Entry> entries) {
    double[][] hs = new double[entries.size()][];
    for (int i = 0; i < hs.length; i++) hs[i] = entries.get(i).h();
    return hs;
  }

  private double weight(double label) {
    if (options.loss() == Loss.WEIGHTED && !(label > 0)) {
      throw new IllegalArgumentException("weighted psi loss needs positive labels, got " + label);
    }
    return options.loss().weight(label);
  }

  private void checkFinite() {
    for (double g : grad) {
      if (!Double.isFinite(g)) throw new IllegalStateException("psi gradient is not finite (" + g + "): " + psi.describe());
    }
  }
}
