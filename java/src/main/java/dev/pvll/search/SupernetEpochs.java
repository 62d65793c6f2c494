package dev.pvll.search;

import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.StepResult;
import dev.pvll.supernet.SupernetTrainer;
import java.util.Arrays;

/**
 * Trains the supernet for one epoch on a sampled architecture and measures its validation loss:
 * the label of METHOD.md Eq. 5. Batches come from the background loader; the order and the
 * augmentation of epoch e depend only on the seed and e, so a resumed run sees the same data.
 */
final class SupernetEpochs {
  /** Mean loss and accuracy over an epoch or a validation pass. */
  record Stats(double loss, double accuracy, int images) {}

  private final SupernetTrainer trainer;
  private final Dataset data;
  private final int[] train;
  private final int[] validation;
  private final SearchConfig config;
  private final Augmentation trainAugmentation;
  private final Augmentation validationAugmentation;

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
    int batches = Math.max(1, trainImagesPerEpoch() / config.batchSize());
    double lossSum = 0;
    long correct = 0, seen = 0;
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), trainAugmentation, config.seed(), epoch).withDropLast(true);
    try (BatchLoader loader = new BatchLoader(data, train, options)) {
      for (int b = 0; b < batches && loader.hasNext(); b++) {
        Batch batch = loader.next();
        StepResult r = trainer.trainStep(batch.images(), batch.labels(), arch, lr);
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

  /** Mean cross-entropy and accuracy over the validation split, evaluation mode. */
  Stats validate(SampledArchitecture arch) {
    double lossSum = 0;
    long correct = 0, seen = 0;
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), validationAugmentation, config.seed(), 0)
        .withShuffle(false).withDropLast(false);
    try (BatchLoader loader = new BatchLoader(data, validation, options)) {
      while (loader.hasNext()) {
        Batch batch = loader.next();
        StepResult r = trainer.evaluate(batch.images(), batch.labels(), arch);
        lossSum += r.loss() * r.count();
        correct += r.correct();
        seen += r.count();
      }
    }
    double loss = lossSum / Math.max(1, seen);
    if (!Double.isFinite(loss)) throw new SearchDivergedException("validation loss became " + loss);
    return new Stats(loss, (double) correct / Math.max(1, seen), (int) seen);
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

}
