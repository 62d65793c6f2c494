package dev.pvll.search;

import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.data.Splits;
import dev.pvll.kernels.Device;
import dev.pvll.nn.Mode;
import dev.pvll.nn.WeightState;
import dev.pvll.space.NetworkConfig;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import dev.pvll.supernet.SgdConfig;
import dev.pvll.supernet.SupernetStep;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.IntFunction;

/**
 * The shared weights of the search, epoch by epoch (METHOD.md Eq. 5): the supernet, its step
 * engine, the data splits, the cosine learning rate and where the schedule stands; one epoch
 * trains one sampled architecture (or one per batch), and a label is that architecture's
 * validation loss as the run's {@link LabelMode} measures it. The order and the augmentation of
 * epoch e depend only on the seed and e, so a resumed run sees the same data.
 */
final class SupernetEpochs implements AutoCloseable {
  /** Mean loss and accuracy over an epoch or a validation pass. */
  record Stats(double loss, double accuracy, int images) {
    static Stats of(SupernetStep.Totals t) {
      return new Stats(t.meanLoss(), (double) t.correct() / Math.max(1, t.images()), (int) t.images());
    }
  }

  private final SearchConfig config;
  private final SearchNetwork network;
  private final SupernetStep step;
  private final Dataset data;
  private final int[] train;
  private final int[] validation;
  private final Augmentation trainAugmentation;
  private final Augmentation validationAugmentation;
  private final Mode labelMode;
  private final Device device;
  /** Supernet epochs run so far: the position in the learning-rate schedule and the data order. */
  private int epoch;
  /** The learning rate of the last epoch run (for the log). */
  private float lastLr;
  /**
   * Label mode snapshot: parameters, momentum and BN buffers at the end of the first warm-up
   * pass, and that epoch's index (its learning rate and data order serve every label).
   */
  private float[][] snapshot;
  private int snapshotEpoch = -1;

  SupernetEpochs(SearchConfig config, Dataset data) {
    checkDataFits(config, data);
    SearchConfig.Data d = config.data();
    this.config = config;
    this.data = data;
    Splits.Split split = Splits.trainValidation(data.size(), d.trainFraction(), OptionalLong.empty());
    this.train = split.train();
    this.validation = d.validationImages() > 0 && d.validationImages() < split.validation().length
        ? Arrays.copyOf(split.validation(), d.validationImages()) : split.validation();
    Normalization normalization = Normalization.forDataset(d.dataset(), data);
    Augmentation a = Augmentation.training(normalization);
    this.trainAugmentation = d.cutout() > 0 ? a.withCutout(d.cutout()) : a;
    this.validationAugmentation = Augmentation.none(normalization);
    this.labelMode = config.labelMode() == LabelMode.BATCH_STATS || config.frozenLabels() ? Mode.EVAL_BATCH_STATS : Mode.EVAL;
    this.device = Device.resolve(config.device());
    this.network = new SearchNetwork(config.network(), device, config.seed());
    SearchConfig.Schedule s = config.schedule();
    SgdConfig sgd = new SgdConfig((float) s.momentum(), (float) s.weightDecay(), (float) s.gradClip());
    int logCapacity = Math.max(batchesPerEpoch(), (validation.length + d.batchSize() - 1) / d.batchSize());
    this.step = new SupernetStep(network, sgd, d.batchSize(), config.launch(), logCapacity);
  }

  SearchNetwork network() {
    return network;
  }

  SupernetStep step() {
    return step;
  }

  /** Supernet epochs run so far. */
  int epoch() {
    return epoch;
  }

  float lastLearningRate() {
    return lastLr;
  }

  /** Cosine annealing from lrMax to lrMin over all epochs, stepped per epoch (PyTorch CosineAnnealingLR). */
  float learningRate(int e) {
    SearchConfig.Schedule s = config.schedule();
    int total = Math.max(1, config.totalEpochs());
    return (float) (s.lrMin() + 0.5 * (s.lrMax() - s.lrMin()) * (1 + Math.cos(Math.PI * e / total)));
  }

  /** One epoch of arch at the schedule's position. */
  Stats train(SampledArchitecture arch) {
    return runEpoch(epoch, lr -> train(b -> arch, epoch, lr));
  }

  /**
   * One epoch in which batch b trains architecture archOfBatch(b) (one-shot training: the shared
   * weights then serve architectures they never trained on their own).
   */
  Stats trainPerBatch(IntFunction<SampledArchitecture> archOfBatch) {
    return runEpoch(epoch, lr -> train(archOfBatch, epoch, lr));
  }

  /**
   * The epoch that precedes a label. METHOD.md: one more epoch of the shared weights with this
   * architecture. Snapshot: the same epoch, but always from the weights saved at the end of the
   * first warm-up pass, with that epoch's learning rate and data order. Frozen: none (null), the
   * weights stay as the warm-up left them.
   */
  Stats labelEpoch(SampledArchitecture arch) {
    if (config.frozenLabels()) return null;
    if (config.labelMode() != LabelMode.SNAPSHOT) return train(arch);
    if (snapshot == null) {
      snapshotEpoch = epoch;
      snapshot = weightState();
    }
    setWeightState(snapshot);
    return runEpoch(snapshotEpoch, lr -> train(b -> arch, snapshotEpoch, lr));
  }

  /** Runs the epoch body at the learning rate of epoch e (kept for the log) and counts one epoch. */
  <T> T runEpoch(int e, java.util.function.Function<Float, T> body) {
    lastLr = learningRate(e);
    T result = body.apply(lastLr);
    epoch++;
    return result;
  }

  private Stats train(IntFunction<SampledArchitecture> archOfBatch, int e, float lr) {
    step.beginTraining(lr);
    SampledArchitecture current = null;
    try (BatchLoader loader = trainingBatches(e)) {
      for (int b = 0; b < batchesPerEpoch() && loader.hasNext(); b++) {
        Batch batch = loader.next();
        SampledArchitecture arch = archOfBatch.apply(b);
        if (arch != current) step.setArchitecture(arch);
        current = arch;
        step.trainStep(batch.images(), batch.labels());
      }
    }
    SupernetStep.Totals t = step.finishTraining();
    if (t.nonFiniteSteps() > 0) {
      float[] log = step.trainingLog();
      int first = 0;
      while (first < t.steps() - 1 && Float.isFinite(log[2 * first])) first++;
      throw new SearchDivergedException("training loss became " + log[2 * first] + " in epoch " + e + ", batch " + first);
    }
    return Stats.of(t);
  }

  /** Mean cross-entropy and accuracy over the validation split: the label, in the run's label mode. */
  Stats validate(SampledArchitecture arch) {
    return validate(arch, labelMode);
  }

  /** The same in the given evaluation mode (EVAL: running BN statistics; EVAL_BATCH_STATS: each batch's own). */
  Stats validate(SampledArchitecture arch, Mode mode) {
    step.setArchitecture(arch);
    step.beginValidation();
    BatchLoader.Options options = BatchLoader.Options.of(config.data().batchSize(), validationAugmentation, config.seed(), 0)
        .withShuffle(false).withDropLast(false).withDevice(device);
    try (BatchLoader loader = new BatchLoader(data, validation, options)) {
      while (loader.hasNext()) {
        Batch batch = loader.next();
        step.evaluate(batch.images(), batch.labels(), mode);
      }
    }
    Stats s = Stats.of(step.finishValidation());
    if (!Double.isFinite(s.loss())) throw new SearchDivergedException("validation loss became " + s.loss());
    return s;
  }

  /** Training batches per epoch: trainImages of the training split (or all of it), whole batches. */
  int batchesPerEpoch() {
    int batch = config.data().batchSize(), limit = config.data().trainImages();
    int images = limit > 0 ? Math.min(limit, train.length) : train.length;
    return Math.max(1, images / batch);
  }

  /** The shuffled, augmented training batches of epoch e. */
  BatchLoader trainingBatches(int e) {
    return new BatchLoader(data, train, BatchLoader.Options.of(config.data().batchSize(), trainAugmentation, config.seed(), e)
        .withDropLast(true).withDevice(device));
  }

  /** Validation batches in a shuffled order of their own (GDAS's architecture steps), whole batches only. */
  BatchLoader shuffledValidationBatches(int e) {
    return new BatchLoader(data, validation, BatchLoader.Options.of(config.data().batchSize(), validationAugmentation, config.seed() + 1, e)
        .withDropLast(true).withDevice(device));
  }

  /** The supernet's parameters, their momentum and its BN buffers, copied to the host. */
  float[][] weightState() {
    return WeightState.copy(network.parameters(), network.buffers());
  }

  /** The label-mode snapshot (null before it is taken) and its epoch. */
  float[][] snapshot() {
    return snapshot;
  }

  int snapshotEpoch() {
    return snapshotEpoch;
  }

  /** Restores the schedule's position, the weights and the snapshot a checkpoint recorded. */
  void restore(int epochsRun, float[][] weights, float[][] savedSnapshot, int savedSnapshotEpoch) {
    setWeightState(weights);
    epoch = epochsRun;
    lastLr = epoch > 0 ? learningRate(epoch - 1) : 0f; // what frozen-label lines report; other modes set it before logging
    snapshot = savedSnapshot;
    snapshotEpoch = savedSnapshot == null ? -1 : savedSnapshotEpoch;
  }

  /** Elements of the parameter buffer and of the BN buffers (what a checkpoint's arrays must hold). */
  long[] stateSizes() {
    return new long[] {network.parameters().values().size(), network.buffers().values().size()};
  }

  private void setWeightState(float[][] w) {
    WeightState.set(network.parameters(), network.buffers(), w);
  }

  private static void checkDataFits(SearchConfig c, Dataset d) {
    NetworkConfig n = c.network();
    if (d.channels() != n.inputChannels() || d.height() != n.imageSize() || d.width() != n.imageSize() || d.classCount() > n.classes()) {
      throw new IllegalArgumentException("data set " + c.data().dataset() + ": images are " + d.channels() + "x" + d.height() + "x"
          + d.width() + " with " + d.classCount() + " classes, the network expects " + n.inputChannels() + "x" + n.imageSize() + "x"
          + n.imageSize() + " with " + n.classes());
    }
  }

  @Override
  public void close() {
    step.close();
    network.close();
  }
}
