package dev.pvll.train;

import dev.pvll.kernels.DataParallel;

/**
 * Retraining a genotype (METHOD.md's evaluation protocol, the DARTS recipe): SGD with cosine
 * learning rate, momentum, weight decay, gradient clipping, auxiliary head, drop-path
 * (linearly increased to its maximum over the run, as DARTS does), cutout.
 *
 * @param dataset data set name (fashion-mnist, fashion-mnist-embedded, mnist, cifar10, cifar100)
 * @param dataDir folder searched first, or null
 * @param cells cells of the evaluation network (20)
 * @param channels initial channels (36)
 * @param epochs training epochs (600)
 * @param batchSize batch size (96)
 * @param trainImages training images used (0 = all)
 * @param testImages test images evaluated (0 = all)
 * @param lr initial learning rate (0.025), cosine-annealed to 0
 * @param momentum 0.9
 * @param weightDecay 3e-4
 * @param gradClip 5
 * @param auxWeight weight of the auxiliary loss (0.4; 0 = no auxiliary head)
 * @param dropPath maximum drop-path probability (0.2)
 * @param cutout cutout length (16)
 * @param seed seed of the weights, data order and augmentation
 * @param device cpu, cuda:N or auto (in a job of several ranks, auto and cuda are each rank's own GPU)
 * @param parallel the ranks the run is data-parallel over and their timeout (absent from older
 *     files: a single process)
 */
public record TrainConfig(String dataset, String dataDir, int cells, int channels, int epochs, int batchSize, int trainImages,
    int testImages, double lr, double momentum, double weightDecay, double gradClip, double auxWeight, double dropPath, int cutout,
    long seed, String device, DataParallel parallel) {
  /** A single-process run. */
  public TrainConfig(String dataset, String dataDir, int cells, int channels, int epochs, int batchSize, int trainImages,
      int testImages, double lr, double momentum, double weightDecay, double gradClip, double auxWeight, double dropPath, int cutout,
      long seed, String device) {
    this(dataset, dataDir, cells, channels, epochs, batchSize, trainImages, testImages, lr, momentum, weightDecay, gradClip, auxWeight,
        dropPath, cutout, seed, device, DataParallel.SINGLE);
  }

  public TrainConfig {
    if (parallel == null) parallel = DataParallel.SINGLE;
    require(batchSize >= parallel.ranks(), "--batch-size must be at least the number of ranks (" + parallel.ranks()
        + "): every rank needs a sample of every batch, got " + batchSize);
    require(cells >= 3, "--cells must be >= 3, got " + cells);
    require(channels >= 2 && channels % 2 == 0, "--channels must be even and >= 2, got " + channels);
    require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
    require(batchSize >= 2, "--batch-size must be >= 2, got " + batchSize);
    require(trainImages >= 0 && testImages >= 0, "--train-images and --test-images must be >= 0");
    require(lr > 0, "--lr must be > 0");
    require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1)");
    require(weightDecay >= 0 && gradClip > 0, "--weight-decay must be >= 0 and --grad-clip > 0");
    require(auxWeight >= 0, "--aux-weight must be >= 0");
    require(dropPath >= 0 && dropPath < 1, "--drop-path must be in [0, 1)");
    require(cutout >= 0, "--cutout must be >= 0");
  }

  /** METHOD.md's final evaluation protocol on CIFAR-10. */
  public static TrainConfig paper() {
    return new TrainConfig("cifar10", null, 20, 36, 600, 96, 0, 0, 0.025, 0.9, 3e-4, 5, 0.4, 0.2, 16, 1, "auto");
  }

  /**
   * The CPU-sized default: Fashion-MNIST (the Debian package's full set, else the embedded
   * subset), 5 cells, C=8, 10,000 training images, 6 epochs, batch 96, the full test set.
   */
  public static TrainConfig cpu() {
    return new TrainConfig("fashion-mnist", null, 5, 8, 6, 96, 10000, 0, 0.025, 0.9, 3e-4, 5, 0.4, 0.2, 16, 1, "auto");
  }

  /** Seconds: for tests. */
  public static TrainConfig tiny() {
    return new TrainConfig("fashion-mnist-embedded", null, 3, 4, 2, 32, 256, 256, 0.025, 0.9, 3e-4, 5, 0.4, 0.2, 8, 1, "cpu");
  }

  public static TrainConfig byName(String name) {
    return switch (name.toLowerCase()) {
      case "cpu", "default" -> cpu();
      case "paper" -> paper();
      case "tiny" -> tiny();
      default -> throw new IllegalArgumentException("--preset must be default, paper or tiny, got " + name);
    };
  }

  public TrainConfig withSeed(long s) {
    return new TrainConfig(dataset, dataDir, cells, channels, epochs, batchSize, trainImages, testImages, lr, momentum, weightDecay,
        gradClip, auxWeight, dropPath, cutout, s, device, parallel);
  }

  /** The same run spread over the ranks and timeout of p. */
  public TrainConfig withParallel(DataParallel p) {
    return new TrainConfig(dataset, dataDir, cells, channels, epochs, batchSize, trainImages, testImages, lr, momentum, weightDecay,
        gradClip, auxWeight, dropPath, cutout, seed, device, p);
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
