package dev.pvll.search;

import static dev.pvll.search.InvalidSettingException.require;

import dev.pvll.kernels.DataParallel;
import dev.pvll.space.NetworkConfig;
import dev.pvll.supernet.StepLaunch;
import java.util.Objects;

/**
 * Everything that defines a search run, by concern; written to config.json and into every
 * checkpoint, so the file reproduces the run. METHOD.md's values are the paper preset
 * ({@link SearchPresets}); what METHOD.md marks unknown is a named setting. Each record checks its
 * own settings and names a bad one by its path (e.g. {@code schedule.warmup}).
 *
 * @param method the search method
 * @param data what the supernet trains and is labelled on
 * @param network the search network's shape
 * @param schedule the warm-up, the search steps and the supernet's SGD
 * @param psi the memory and the predictor psi
 * @param architecture the architecture parameters A: sampler and step
 * @param finalGenotype how the returned genotype is chosen (absent from configurations written
 *     before it: METHOD.md's DARTS rule)
 * @param evolution regularized evolution's population and tournament (absent: the defaults)
 * @param labelMode how a label is measured
 * @param launch how the supernet step is launched (same numbers every way)
 * @param seed seed of everything random
 * @param device cpu, cuda:N or auto (in a job of several ranks, auto and cuda are each rank's own GPU)
 * @param parallel the ranks the run is data-parallel over and their timeout (absent from older
 *     files: a single process)
 */
public record SearchConfig(Method method, Data data, NetworkConfig network, Schedule schedule, Psi psi, ArchitectureStep architecture,
    FinalGenotype finalGenotype, Evolution evolution, LabelMode labelMode, StepLaunch launch, long seed, String device,
    DataParallel parallel) {

  /** A single-process run ({@link DataParallel#SINGLE}). */
  public SearchConfig(Method method, Data data, NetworkConfig network, Schedule schedule, Psi psi, ArchitectureStep architecture,
      FinalGenotype finalGenotype, Evolution evolution, LabelMode labelMode, StepLaunch launch, long seed, String device) {
    this(method, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device,
        DataParallel.SINGLE);
  }

  /**
   * @param dataset data set name (fashion-mnist-embedded, fashion-mnist, mnist, cifar10, cifar100)
   * @param dataDir folder searched first for the data set, or null
   * @param batchSize training and validation batch size (64)
   * @param trainImages images of the training split used per epoch (0 = the whole split)
   * @param validationImages images of the validation split used per label (0 = the whole split)
   * @param trainFraction share of the training set in the training split (0.5)
   * @param cutout cutout length in training (0 = off; METHOD.md's search uses none)
   */
  public record Data(String dataset, String dataDir, int batchSize, int trainImages, int validationImages, double trainFraction,
      int cutout) {
    public Data {
      Objects.requireNonNull(dataset, "data.dataset");
      require(batchSize >= 1, "%s must be >= 1, got " + batchSize, "data.batchSize");
      require(trainImages >= 0, "%s must be >= 0, got " + trainImages, "data.trainImages");
      require(validationImages >= 0, "%s must be >= 0, got " + validationImages, "data.validationImages");
      require(trainFraction > 0 && trainFraction < 1, "%s must be in (0, 1), got " + trainFraction, "data.trainFraction");
      require(cutout >= 0, "%s must be >= 0", "data.cutout");
    }

    public Data withDataset(String d) {
      return new Data(d, dataDir, batchSize, trainImages, validationImages, trainFraction, cutout);
    }

    public Data withDataDir(String d) {
      return new Data(dataset, d, batchSize, trainImages, validationImages, trainFraction, cutout);
    }

    public Data withBatchSize(int b) {
      return new Data(dataset, dataDir, b, trainImages, validationImages, trainFraction, cutout);
    }

    public Data withTrainImages(int n) {
      return new Data(dataset, dataDir, batchSize, n, validationImages, trainFraction, cutout);
    }

    public Data withValidationImages(int n) {
      return new Data(dataset, dataDir, batchSize, trainImages, n, trainFraction, cutout);
    }

    public Data withTrainFraction(double f) {
      return new Data(dataset, dataDir, batchSize, trainImages, validationImages, f, cutout);
    }

    public Data withCutout(int c) {
      return new Data(dataset, dataDir, batchSize, trainImages, validationImages, trainFraction, c);
    }
  }

  /**
   * @param warmup warm-up population size N (100); 0 turns the warm-up off
   * @param steps search steps T (100)
   * @param lrMax initial learning rate (0.025), cosine-annealed to lrMin (0.001) over all epochs
   * @param lrMin final learning rate
   * @param momentum SGD momentum (0.9)
   * @param weightDecay SGD weight decay (3e-4)
   * @param gradClip gradient-norm clip (5)
   */
  public record Schedule(int warmup, int steps, double lrMax, double lrMin, double momentum, double weightDecay, double gradClip) {
    public Schedule {
      require(warmup >= 0, "%s must be >= 0, got " + warmup, "schedule.warmup");
      require(steps >= 0, "%s must be >= 0, got " + steps, "schedule.steps");
      require(warmup + steps >= 1, "%s and %s are both 0: nothing to evaluate", "schedule.warmup", "schedule.steps");
      require(lrMax > 0 && lrMin >= 0 && lrMin <= lrMax, "%s and %s need 0 <= lr-min <= lr, lr > 0", "schedule.lrMax", "schedule.lrMin");
      require(momentum >= 0 && momentum < 1, "%s must be in [0, 1), got " + momentum, "schedule.momentum");
      require(weightDecay >= 0, "%s must be >= 0", "schedule.weightDecay");
      require(gradClip > 0, "%s must be > 0", "schedule.gradClip");
    }

    /** With another warm-up N and step count T (checked together: one of them must be positive). */
    public Schedule withLength(int n, int t) {
      return new Schedule(n, t, lrMax, lrMin, momentum, weightDecay, gradClip);
    }

    /** With other initial and final learning rates (checked together). */
    public Schedule withLearningRates(double max, double min) {
      return new Schedule(warmup, steps, max, min, momentum, weightDecay, gradClip);
    }
  }

  /**
   * @param predictor psi's kind: lstm (METHOD.md), mlp or opcount
   * @param weightedLoss psi's loss weighted by 1/L (METHOD.md's "weighted loss")
   * @param memoryCapacity FIFO size of M (100)
   * @param passes maximum refit passes over M (500)
   * @param stopTau a refit stops when Kendall tau on M exceeds this (0.95)
   * @param lr psi's Adam learning rate (1e-3)
   */
  public record Psi(PredictorKind predictor, boolean weightedLoss, int memoryCapacity, int passes, double stopTau, double lr) {
    public Psi {
      Objects.requireNonNull(predictor, "psi.predictor");
      require(memoryCapacity >= 1, "%s must be >= 1", "psi.memoryCapacity");
      require(passes >= 1, "%s must be >= 1", "psi.passes");
      require(stopTau > -1 && stopTau <= 1, "%s must be in (-1, 1]", "psi.stopTau");
      require(lr > 0, "%s must be > 0", "psi.lr");
    }

    public Psi withPredictor(PredictorKind p) {
      return new Psi(p, weightedLoss, memoryCapacity, passes, stopTau, lr);
    }

    public Psi withWeightedLoss(boolean w) {
      return new Psi(predictor, w, memoryCapacity, passes, stopTau, lr);
    }

    public Psi withMemoryCapacity(int m) {
      return new Psi(predictor, weightedLoss, m, passes, stopTau, lr);
    }

    public Psi withPasses(int p) {
      return new Psi(predictor, weightedLoss, memoryCapacity, p, stopTau, lr);
    }
  }

  /**
   * @param lr the architecture step's Adam learning rate (3e-4)
   * @param weightDecay the architecture step's weight decay (1e-3)
   * @param tau Gumbel-softmax temperature (0.1)
   * @param sampler around A (METHOD.md) or uniform (ablation "sampler = N")
   * @param draw what one draw is: an op on every edge (METHOD.md) or a valid genotype (ours;
   *     absent from configurations written before it: every edge)
   * @param proposals PVLL: draws from A per search step, of which the one psi predicts lowest is
   *     labelled (1: METHOD.md's single sample; more: ours, psi guiding which sample is measured;
   *     0, absent from configurations written before it, means 1)
   * @param mutations PVLL with genotype draws: single mutations (one op or one input) of the
   *     memory's best measured genotypes added to the proposals psi ranks (0: none, METHOD.md; ours
   *     otherwise). A still steps on psi at its own best draw, whichever proposal is labelled.
   */
  public record ArchitectureStep(double lr, double weightDecay, double tau, Architect.Sampler sampler, Architect.Draw draw, int proposals,
      int mutations) {
    public ArchitectureStep {
      Objects.requireNonNull(sampler, "architecture.sampler");
      if (draw == null) draw = Architect.Draw.EVERY_EDGE;
      if (proposals == 0) proposals = 1;
      require(proposals >= 1, "%s must be >= 1, got " + proposals, "architecture.proposals");
      require(mutations >= 0, "%s must be >= 0, got " + mutations, "architecture.mutations");
      require(mutations == 0 || draw == Architect.Draw.GENOTYPE, "%s needs genotype draws (%s genotype)", "architecture.mutations", "architecture.draw");
      require(lr > 0, "%s must be > 0, got " + lr, "architecture.lr");
      require(weightDecay >= 0, "%s must be >= 0", "architecture.weightDecay");
      require(tau > 0, "%s must be > 0, got " + tau, "architecture.tau");
    }

    public ArchitectureStep withLr(double l) {
      return new ArchitectureStep(l, weightDecay, tau, sampler, draw, proposals, mutations);
    }

    public ArchitectureStep withTau(double t) {
      return new ArchitectureStep(lr, weightDecay, t, sampler, draw, proposals, mutations);
    }

    public ArchitectureStep withSampler(Architect.Sampler s) {
      return new ArchitectureStep(lr, weightDecay, tau, s, draw, proposals, mutations);
    }

    public ArchitectureStep withDraw(Architect.Draw d) {
      return new ArchitectureStep(lr, weightDecay, tau, sampler, d, proposals, mutations);
    }

    public ArchitectureStep withProposals(int k) {
      return new ArchitectureStep(lr, weightDecay, tau, sampler, draw, k, mutations);
    }

    public ArchitectureStep withMutations(int m) {
      return new ArchitectureStep(lr, weightDecay, tau, sampler, draw, proposals, m);
    }
  }

  /**
   * How the genotype a search returns is chosen.
   *
   * @param rule DARTS_RULE (METHOD.md: the DARTS rule on A; random search: on its best measured
   *     sample) or RANKED (ours: see {@link FinalRule#RANKED})
   * @param candidates RANKED: genotypes drawn from A that psi ranks (100)
   * @param finalists RANKED: the best this many measured genotypes, and as many of the drawn ones
   *     by psi, are measured again; the best new label is returned (2)
   */
  public record FinalGenotype(FinalRule rule, int candidates, int finalists) {
    public FinalGenotype {
      Objects.requireNonNull(rule, "finalGenotype.rule");
      require(candidates >= 0, "%s must be >= 0, got " + candidates, "finalGenotype.candidates");
      require(finalists >= 1, "%s must be >= 1, got " + finalists, "finalGenotype.finalists");
    }

    /** METHOD.md's rule (the candidate counts are unused). */
    public static FinalGenotype dartsRule() {
      return new FinalGenotype(FinalRule.DARTS_RULE, 100, 2);
    }

    public FinalGenotype withRule(FinalRule r) {
      return new FinalGenotype(r, candidates, finalists);
    }

    public FinalGenotype withFinalists(int f) {
      return new FinalGenotype(rule, candidates, f);
    }
  }

  /**
   * Regularized (aging) evolution, the method {@link Method#EVOLUTION}.
   *
   * @param population P, the members kept; the warm-up's N labels seed it (20)
   * @param tournament S, the members drawn for each tournament (5)
   */
  public record Evolution(int population, int tournament) {
    public Evolution {
      require(population >= 2, "%s must be >= 2, got " + population, "evolution.population");
      require(tournament >= 1 && tournament <= population, "%s must be in [1, population], got " + tournament, "evolution.tournament");
    }

    /** P = 20, S = 5. */
    public static Evolution defaults() {
      return new Evolution(20, 5);
    }
  }

  /** Checks what spans several concerns. */
  public SearchConfig {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(psi, "psi");
    Objects.requireNonNull(architecture, "architecture");
    if (finalGenotype == null) finalGenotype = FinalGenotype.dartsRule();
    if (evolution == null) evolution = Evolution.defaults();
    Objects.requireNonNull(labelMode, "labelMode");
    Objects.requireNonNull(launch, "launch");
    Objects.requireNonNull(device, "device");
    if (parallel == null) parallel = DataParallel.SINGLE;
    require(data.batchSize() >= parallel.ranks(), "%s must be at least %s (" + parallel.ranks() + "): every rank needs a sample of "
        + "every batch", "data.batchSize", "parallel.ranks");
    require(labelMode != LabelMode.FROZEN || schedule.warmup() >= 1 || method == Method.GDAS,
        "%s frozen needs %s >= 1: the warm-up trains the weights every label is measured on", "labelMode", "schedule.warmup");
    boolean genotypes = architecture.draw() == Architect.Draw.GENOTYPE;
    require(method != Method.EVOLUTION || genotypes, "%s evolution needs %s genotype: it mutates genotypes", "method", "architecture.draw");
    require(finalGenotype.rule() != FinalRule.RANKED || genotypes,
        "%s ranked needs %s genotype: it chooses among measured genotypes", "finalGenotype.rule", "architecture.draw");
    require(method != Method.GDAS || !genotypes, "%s gdas steps A on every edge: it needs %s every-edge", "method", "architecture.draw");
  }

  public SearchConfig withMethod(Method m) {
    return new SearchConfig(m, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withData(Data d) {
    return new SearchConfig(method, d, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withNetwork(NetworkConfig n) {
    return new SearchConfig(method, data, n, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withSchedule(Schedule s) {
    return new SearchConfig(method, data, network, s, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withPsi(Psi p) {
    return new SearchConfig(method, data, network, schedule, p, architecture, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withArchitecture(ArchitectureStep a) {
    return new SearchConfig(method, data, network, schedule, psi, a, finalGenotype, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withFinalGenotype(FinalGenotype f) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, f, evolution, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withEvolution(Evolution e) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, e, labelMode, launch, seed, device, parallel);
  }

  public SearchConfig withLabelMode(LabelMode m) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, evolution, m, launch, seed, device, parallel);
  }

  public SearchConfig withLaunch(StepLaunch l) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, l, seed, device, parallel);
  }

  public SearchConfig withSeed(long s) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, s, device, parallel);
  }

  public SearchConfig withDevice(String d) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, d, parallel);
  }

  /** The same run spread over the ranks and timeout of p. */
  public SearchConfig withParallel(DataParallel p) {
    return new SearchConfig(method, data, network, schedule, psi, architecture, finalGenotype, evolution, labelMode, launch, seed, device, p);
  }

  /**
   * Supernet epochs of the whole run: the warm-up trains each of N twice, then one per step
   * (none per step with frozen labels). The random baseline runs the same schedule (same compute);
   * GDAS runs as many epochs.
   */
  public int totalEpochs() {
    return frozenLabels() ? 2 * schedule.warmup() : 2 * schedule.warmup() + schedule.steps();
  }

  /** Label mode frozen (GDAS has no labels): no supernet training after the warm-up; labels on the frozen weights. */
  public boolean frozenLabels() {
    return labelMode == LabelMode.FROZEN && method != Method.GDAS;
  }

  /** Evaluated architectures (labels) of the whole run. */
  public int evaluations() {
    return schedule.warmup() + schedule.steps();
  }
}
