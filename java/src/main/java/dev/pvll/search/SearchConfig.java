package dev.pvll.search;

import dev.pvll.space.NetworkConfig;

/**
 * Everything that defines a search run; written to config.json and into every checkpoint.
 * METHOD.md's values are the paper preset; items METHOD.md marks unknown are named options.
 *
 * @param method pvll (METHOD.md); random (the same schedule with uniform samples, keeping the best
 *     measured); gdas (straight-through gradient of the validation loss into A, tau annealed from
 *     10 to 0.1, for as many supernet epochs as the PVLL schedule trains)
 * @param dataset data set name (fashion-mnist-embedded, fashion-mnist, mnist, cifar10, cifar100)
 * @param dataDir folder searched first for the data set, or null
 * @param network the search network's shape
 * @param batchSize training and validation batch size (64)
 * @param trainImages images of the training split used per epoch (0 = the whole split)
 * @param validationImages images of the validation split used per label (0 = the whole split)
 * @param trainFraction share of the training set in the training split (0.5)
 * @param lrMax initial learning rate (0.025), cosine-annealed to lrMin (0.001) over all epochs
 * @param momentum SGD momentum (0.9)
 * @param weightDecay SGD weight decay (3e-4)
 * @param gradClip gradient-norm clip (5)
 * @param cutout cutout length in training (0 = off; METHOD.md's search uses none)
 * @param warmup warm-up population size N (100), 0 turns the warm-up off
 * @param steps search steps T (100)
 * @param memoryCapacity FIFO size of M (100)
 * @param predictor lstm (METHOD.md), mlp or opcount
 * @param weightedLoss psi's loss weighted by 1/L (METHOD.md's "weighted loss")
 * @param psiPasses maximum refit passes over M (500)
 * @param psiStopTau refit stops when Kendall tau on M exceeds this (0.95)
 * @param psiLr psi's Adam learning rate (1e-3)
 * @param archLr the architecture step's Adam learning rate (3e-4)
 * @param archWeightDecay the architecture step's weight decay (1e-3)
 * @param tau Gumbel-softmax temperature (0.1)
 * @param uniformSampler sample uniformly instead of around A (ablation "sampler = N")
 * @param labelMode how a label is measured: "eval" (running BN statistics, the default,
 *     METHOD.md), "batch-stats" (each validation batch normalised with its own statistics, so a
 *     label does not depend on how stale a rarely-chosen op's running statistics are) or
 *     "snapshot" (the shared weights, their momentum and BN statistics are saved at the end of the
 *     first warm-up pass, and every label, from the second warm-up pass on, is one epoch of
 *     training from that snapshot, at its learning rate and with its data order, then the
 *     validation loss: a label then depends on the architecture, not on when it was measured;
 *     an option beside the faithful default), or "frozen" (one-shot labels: the warm-up trains
 *     the shared weights for 2N epochs with a fresh architecture every batch, the learning rate
 *     annealed over those epochs, then the weights freeze: every label, warm-up ones included, is
 *     the validation loss of the architecture on the frozen weights with each validation batch
 *     normalised by its own statistics, so a label is a deterministic function of the
 *     architecture and costs one validation pass. Measured: with one architecture per warm-up
 *     epoch instead, architectures the warm-up never trained scored at chance, 1.7-2.4)
 * @param seed seed of everything random
 * @param device cpu, cuda:N or auto
 */
public record SearchConfig(
    String method,
    String dataset,
    String dataDir,
    NetworkConfig network,
    int batchSize,
    int trainImages,
    int validationImages,
    double trainFraction,
    double lrMax,
    double lrMin,
    double momentum,
    double weightDecay,
    double gradClip,
    int cutout,
    int warmup,
    int steps,
    int memoryCapacity,
    String predictor,
    boolean weightedLoss,
    int psiPasses,
    double psiStopTau,
    double psiLr,
    double archLr,
    double archWeightDecay,
    double tau,
    boolean uniformSampler,
    String labelMode,
    long seed,
    String device) {

  /** This configuration with another label mode. */
  public SearchConfig withLabelMode(String mode) {
    return new SearchConfig(method, dataset, dataDir, network, batchSize, trainImages, validationImages, trainFraction, lrMax, lrMin,
        momentum, weightDecay, gradClip, cutout, warmup, steps, memoryCapacity, predictor, weightedLoss, psiPasses, psiStopTau, psiLr,
        archLr, archWeightDecay, tau, uniformSampler, mode, seed, device);
  }

  /** Checks every field; the message names the command-line flag. */
  public SearchConfig {
    require(method.equals("pvll") || method.equals("random") || method.equals("gdas"),
        "--method must be pvll, random or gdas, got " + method);
    require(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
    require(trainImages >= 0, "--train-images must be >= 0, got " + trainImages);
    require(validationImages >= 0, "--val-images must be >= 0, got " + validationImages);
    require(trainFraction > 0 && trainFraction < 1, "--train-fraction must be in (0, 1), got " + trainFraction);
    require(lrMax > 0 && lrMin >= 0 && lrMin <= lrMax, "--lr and --lr-min need 0 <= lr-min <= lr, lr > 0");
    require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
    require(weightDecay >= 0, "--weight-decay must be >= 0");
    require(gradClip > 0, "--grad-clip must be > 0");
    require(cutout >= 0, "--cutout must be >= 0");
    require(warmup >= 0, "--warmup must be >= 0, got " + warmup);
    require(steps >= 0, "--steps must be >= 0, got " + steps);
    require(warmup + steps >= 1, "--warmup and --steps are both 0: nothing to evaluate");
    require(memoryCapacity >= 1, "--memory must be >= 1");
    require(predictor.equals("lstm") || predictor.equals("mlp") || predictor.equals("opcount"), "--predictor must be lstm, mlp or opcount, got " + predictor);
    require(psiPasses >= 1, "--psi-passes must be >= 1");
    require(psiStopTau > -1 && psiStopTau <= 1, "--psi-stop-tau must be in (-1, 1]");
    require(psiLr > 0, "--psi-lr must be > 0");
    require(archLr > 0, "--arch-lr must be > 0, got " + archLr);
    require(archWeightDecay >= 0, "--arch-weight-decay must be >= 0");
    require(tau > 0, "--tau must be > 0, got " + tau);
    require(labelMode.equals("eval") || labelMode.equals("batch-stats") || labelMode.equals("snapshot") || labelMode.equals("frozen"),
        "--label-mode must be eval, batch-stats, snapshot or frozen, got " + labelMode);
    require(!labelMode.equals("frozen") || warmup >= 1 || method.equals("gdas"),
        "--label-mode frozen needs --warmup >= 1: the warm-up trains the weights every label is measured on");
  }

  /**
   * Supernet epochs of the whole run: warm-up trains each of N twice, then one per step (none
   * per step with frozen labels). The
   * random baseline runs the same schedule (same compute) with uniform samples, no psi and no
   * architecture steps, and keeps the best measured architecture.
   */
  public int totalEpochs() {
    return frozenLabels() ? 2 * warmup : 2 * warmup + steps;
  }

  /** Label mode "frozen": no supernet training after the warm-up; labels on the frozen weights. */
  public boolean frozenLabels() {
    return labelMode.equals("frozen") && !method.equals("gdas");
  }

  /** Evaluated architectures (labels) of the whole run. */
  public int evaluations() {
    return warmup + steps;
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
