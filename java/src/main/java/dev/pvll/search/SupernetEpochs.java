package dev.pvll.search;

import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.kernels.Device;
import dev.pvll.nn.Mode;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.ResidentTrainer;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.StepResult;
import dev.pvll.supernet.SupernetTrainer;
import java.util.Arrays;

/**
 * Trains the supernet for one epoch on a sampled architecture and measures its validation loss:
 * the label of METHOD.md Eq. 5. Batches come from the background loader; the order and the
 * augmentation of epoch e depend only on the seed and e, so a resumed run sees the same data.
 */
final class SupernetEpochs implements AutoCloseable {
  static final String RESIDENT_PROPERTY = SearchEngine.RESIDENT_STEP_PROPERTY;
  static final String GRAPHS_PROPERTY = SearchEngine.CUDA_GRAPHS_PROPERTY;

  /** Mean loss and accuracy over an epoch or a validation pass. */
  record Stats(double loss, double accuracy, int images) {}

  private final SupernetTrainer trainer;
  private final Dataset data;
  private final int[] train;
  private final int[] validation;
  private final SearchConfig config;
  private final Augmentation trainAugmentation;
  private final Augmentation validationAugmentation;
  private final Mode labelMode;
  private final Device device;
  private final ResidentTrainer resident; // null: SupernetTrainer's plain steps

  SupernetEpochs(SupernetTrainer trainer, Dataset data, int[] train, int[] validation, Normalization normalization, SearchConfig config) {
    this.trainer = trainer;
    this.data = data;
    this.train = train;
    this.validation = config.validationImages() > 0 && config.validationImages() < validation.length
        ? Arrays.copyOf(validation, config.validationImages()) : validation;
    this.config = config;
    Augmentation a = Augmentation.training(normalization);
    this.trainAugmentation = config.cutout() > 0 ? a.withCutout(config.cutout()) : a;
    this.validationAugmentation = Augmentation.none(normalization);
    this.labelMode = config.labelMode().equals("batch-stats") || config.frozenLabels() ? Mode.EVAL_BATCH_STATS : Mode.EVAL;
    this.device = trainer.network().parameters().values().device();
    String mode = System.getProperty(RESIDENT_PROPERTY, "auto");
    if (!mode.equals("auto") && !mode.equals("on") && !mode.equals("off")) {
      throw new IllegalArgumentException("-D" + RESIDENT_PROPERTY + " must be auto, on or off, got '" + mode + "'");
    }
    boolean useResident = mode.equals("on") || (mode.equals("auto") && device.isCuda());
    int capacity = Math.max(Math.max(1, trainImagesPerEpoch() / config.batchSize()),
        (this.validation.length + config.batchSize() - 1) / config.batchSize());
    this.resident = useResident
        ? new ResidentTrainer(trainer.network(), trainer.sgd(), config.batchSize(), launchFromProperties(), capacity)
        : null;
  }

  /** The resident step's launch from the system properties of {@link SearchEngine}. */
  private static ResidentTrainer.Launch launchFromProperties() {
    String switches = System.getProperty(SearchEngine.CUDA_SWITCHES_PROPERTY, "each");
    if (!switches.equals("each") && !switches.equals("root")) {
      throw new IllegalArgumentException("-D" + SearchEngine.CUDA_SWITCHES_PROPERTY + " must be each or root, got '" + switches + "'");
    }
    return new ResidentTrainer.Launch(!"false".equals(System.getProperty(GRAPHS_PROPERTY)),
        Boolean.parseBoolean(System.getProperty(SearchEngine.CUDA_LANES_PROPERTY, "false")),
        switches.equals("root") ? dev.pvll.kernels.CudaGraph.SwitchSetting.ROOT : dev.pvll.kernels.CudaGraph.SwitchSetting.EACH);
  }

  /** Images per training epoch. */
  int trainImagesPerEpoch() {
    int limit = config.trainImages() > 0 ? Math.min(config.trainImages(), train.length) : train.length;
    return limit / config.batchSize() * config.batchSize();
  }

  int validationImages() {
    return validation.length;
  }

  /** One epoch (a fresh shuffle of the training split, trainImages of it) at learning rate lr. */
  Stats train(SampledArchitecture arch, int epoch, float lr) {
    return train(b -> arch, epoch, lr);
  }

  /**
   * One epoch in which every batch trains its own architecture, draw counterBase + b of the
   * architect (one-shot training: the shared weights then serve architectures they never trained
   * on their own).
   */
  Stats trainPerBatch(Architect architect, int epoch, float lr, long counterBase) {
    return train(b -> toNetwork(architect.sampleAt(counterBase + b)), epoch, lr);
  }

  private Stats train(java.util.function.IntFunction<SampledArchitecture> archOfBatch, int epoch, float lr) {
    int batches = Math.max(1, trainImagesPerEpoch() / config.batchSize());
    double lossSum = 0;
    long correct = 0, seen = 0;
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), trainAugmentation, config.seed(), epoch).withDropLast(true)
        .withDevice(device);
    if (resident != null) return trainResident(archOfBatch, epoch, lr, batches, options);
    try (BatchLoader loader = new BatchLoader(data, train, options)) {
      for (int b = 0; b < batches && loader.hasNext(); b++) {
        Batch batch = loader.next();
        StepResult r = trainer.trainStep(batch.images(), batch.labels(), archOfBatch.apply(b), lr);
        if (!Double.isFinite(r.loss())) {
          throw new SearchDivergedException("training loss became " + r.loss() + " in epoch " + epoch + ", batch " + b);
        }
        lossSum += r.loss() * r.count();
        correct += r.correct();
        seen += r.count();
      }
    }
    return new Stats(lossSum / Math.max(1, seen), (double) correct / Math.max(1, seen), (int) seen);
  }

  /** The epoch through the resident step: queued back to back, the log read once at the end. */
  private Stats trainResident(java.util.function.IntFunction<SampledArchitecture> archOfBatch, int epoch, float lr, int batches,
      BatchLoader.Options options) {
    resident.beginTraining(lr);
    SampledArchitecture current = null;
    try (BatchLoader loader = new BatchLoader(data, train, options)) {
      for (int b = 0; b < batches && loader.hasNext(); b++) {
        Batch batch = loader.next();
        SampledArchitecture arch = archOfBatch.apply(b);
        if (arch != current) resident.setArchitecture(arch);
        current = arch;
        resident.trainStep(batch.images(), batch.labels());
      }
    }
    ResidentTrainer.Totals t = resident.finishTraining();
    if (t.nonFiniteSteps() > 0) {
      float[] log = resident.trainingLog();
      int first = 0;
      while (first < t.steps() - 1 && Float.isFinite(log[2 * first])) first++;
      throw new SearchDivergedException("training loss became " + log[2 * first] + " in epoch " + epoch + ", batch " + first);
    }
    return new Stats(t.meanLoss(), (double) t.correct() / Math.max(1, t.images()), (int) t.images());
  }

  /** Mean cross-entropy and accuracy over the validation split, in the run's label mode. */
  Stats validate(SampledArchitecture arch) {
    return validate(arch, labelMode);
  }

  /** The same in the given evaluation mode (EVAL: running BN statistics; EVAL_BATCH_STATS: each batch's own). */
  Stats validate(SampledArchitecture arch, Mode mode) {
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), validationAugmentation, config.seed(), 0)
        .withShuffle(false).withDropLast(false).withDevice(device);
    double loss;
    long correct, seen;
    if (resident != null) {
      resident.setArchitecture(arch);
      resident.beginValidation();
      try (BatchLoader loader = new BatchLoader(data, validation, options)) {
        while (loader.hasNext()) {
          Batch batch = loader.next();
          resident.evaluate(batch.images(), batch.labels(), mode);
        }
      }
      ResidentTrainer.Totals t = resident.finishValidation();
      loss = t.meanLoss();
      correct = t.correct();
      seen = t.images();
    } else {
      double lossSum = 0;
      correct = 0;
      seen = 0;
      try (BatchLoader loader = new BatchLoader(data, validation, options)) {
        while (loader.hasNext()) {
          Batch batch = loader.next();
          StepResult r = trainer.evaluate(batch.images(), batch.labels(), arch, mode);
          lossSum += r.loss() * r.count();
          correct += r.correct();
          seen += r.count();
        }
      }
      loss = lossSum / Math.max(1, seen);
    }
    if (!Double.isFinite(loss)) throw new SearchDivergedException("validation loss became " + loss);
    return new Stats(loss, (double) correct / Math.max(1, seen), (int) seen);
  }

  @Override
  public void close() {
    if (resident != null) resident.close();
  }

  /** The supernet's view of a sampled architecture: op and weight per edge of each cell type. */
  static SampledArchitecture toNetwork(Architecture a) {
    int edges = a.encoding().edgesPerCell();
    float[][] w = new float[2][edges];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < edges; e++) w[t][e] = (float) a.edgeWeights()[t * edges + e];
    }
    return new SampledArchitecture(new CellChoice(a.cellOps(0), w[0]), new CellChoice(a.cellOps(1), w[1]));
  }


  /**
   * One GDAS epoch: for every training batch, a weight step on a fresh hard sample (weight 1 on
   * the chosen op), then an architecture step on the next validation batch with the
   * straight-through gradient. Samples use counters counterBase, counterBase + 1, ...
   * Returns the training stats and the stats of the validation batches used for A.
   */
  Stats[] gdasEpoch(Architect architect, int epoch, float lr, double tau, long counterBase) {
    int batches = Math.max(1, trainImagesPerEpoch() / config.batchSize());
    double trainLoss = 0, valLoss = 0;
    long trainCorrect = 0, valCorrect = 0, trainSeen = 0, valSeen = 0;
    int edges = architect.encoding().edgesPerCell();
    BatchLoader.Options trainOptions = BatchLoader.Options.of(config.batchSize(), trainAugmentation, config.seed(), epoch).withDropLast(true)
        .withDevice(device);
    BatchLoader.Options valOptions = BatchLoader.Options.of(config.batchSize(), validationAugmentation, config.seed() + 1, epoch).withDropLast(true)
        .withDevice(device);
    BatchLoader val = null;
    try (BatchLoader train = new BatchLoader(data, this.train, trainOptions)) {
      for (int b = 0; b < batches && train.hasNext(); b++) {
        Batch batch = train.next();
        Architecture forWeights = architect.sampleAt(counterBase + 2L * b, tau);
        StepResult r = trainer.trainStep(batch.images(), batch.labels(), hard(forWeights), lr);
        if (!Double.isFinite(r.loss())) throw new SearchDivergedException("GDAS training loss became " + r.loss() + " in epoch " + epoch);
        trainLoss += r.loss() * r.count();
        trainCorrect += r.correct();
        trainSeen += r.count();
        if (val == null || !val.hasNext()) {
          if (val != null) val.close();
          val = new BatchLoader(data, validation, valOptions);
        }
        Batch vb = val.next();
        Architecture forA = architect.sampleAt(counterBase + 2L * b + 1, tau);
        double[][] g = new double[2][edges];
        StepResult v = trainer.edgeGradients(vb.images(), vb.labels(), hard(forA), g);
        if (!Double.isFinite(v.loss())) throw new SearchDivergedException("GDAS validation loss became " + v.loss() + " in epoch " + epoch);
        double[] flat = new double[2 * edges];
        System.arraycopy(g[0], 0, flat, 0, edges);
        System.arraycopy(g[1], 0, flat, edges, edges);
        architect.stepWithGradient(Architect.straightThroughGradient(forA, flat, tau));
        valLoss += v.loss() * v.count();
        valCorrect += v.correct();
        valSeen += v.count();
      }
    } finally {
      if (val != null) val.close();
    }
    return new Stats[] {new Stats(trainLoss / Math.max(1, trainSeen), (double) trainCorrect / Math.max(1, trainSeen), (int) trainSeen),
        new Stats(valLoss / Math.max(1, valSeen), (double) valCorrect / Math.max(1, valSeen), (int) valSeen)};
  }

  /** The sample with weight 1 on every chosen op (the forward value of GDAS's hard one-hot). */
  static SampledArchitecture hard(Architecture a) {
    int edges = a.encoding().edgesPerCell();
    float[] ones = new float[edges];
    java.util.Arrays.fill(ones, 1f);
    return new SampledArchitecture(new CellChoice(a.cellOps(0), ones), new CellChoice(a.cellOps(1), ones));
  }
}
