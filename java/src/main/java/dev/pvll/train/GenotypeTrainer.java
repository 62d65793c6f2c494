package dev.pvll.train;

import com.google.gson.JsonObject;
import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.BatchShard;
import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.LossResult;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.nn.WeightState;
import dev.pvll.space.Genotype;
import dev.pvll.space.NetworkConfig;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Retrains a genotype from scratch and evaluates it on the test set, one epoch per unit (each
 * small enough to checkpoint after: {@code dev.pvll.run.TrainingRun}); at the end test accuracy,
 * per-class accuracy, confusion matrix, parameter count and multiply-adds.
 *
 * <p>Data-parallel: as one rank of a job, each batch is shared across the ranks as in the search
 * (each rank loads, augments and computes its share; batch norm over the whole batch; the share's
 * loss gradients scaled by its size, the gradients summed before clipping; drop-path masks drawn
 * for the whole batch); the epoch's and the test set's sums are summed across the ranks, so every
 * rank holds the same weights and figures.
 */
public final class GenotypeTrainer implements AutoCloseable {
  /** The outcome of a training run. */
  public record Result(Genotype genotype, long seed, double testAccuracy, double[] perClassAccuracy, int[][] confusion,
      long parameters, long multiplyAdds, double seconds) {}

  /**
   * What a checkpoint records besides the weights (fields and order as in every checkpoint so far).
   *
   * @param genotype the genotype in DARTS text
   * @param epoch epochs trained
   * @param logLines lines of log.jsonl at this state
   * @param elapsedSeconds wall time so far
   * @param rngState unused (0): every epoch's randomness derives from the seed and the epoch
   */
  public record State(TrainConfig config, String genotype, int epoch, long logLines, double elapsedSeconds, long rngState) {}

  private final TrainConfig config;
  private final Genotype genotype;
  private final TrainTest data;
  private final int[] trainIndices, testIndices;
  private final EvalNetwork network;
  /** Where the network lives; the loader delivers batches there (on a GPU through pinned memory and a copy stream). */
  private final Device device;
  private final Normalization normalization;
  private final Collectives collectives;
  private int epoch;

  /** A new run: the evaluation network of genotype, initialised from the config's seed. */
  public GenotypeTrainer(TrainConfig config, Genotype genotype, TrainTest data) {
    this(config, genotype, data, Collectives.single());
  }

  /** The same as one rank of the job of collectives (its size must be the configuration's {@code parallel.ranks}). */
  public GenotypeTrainer(TrainConfig config, Genotype genotype, TrainTest data, Collectives collectives) {
    if (config.parallel().ranks() != collectives.size()) {
      throw new IllegalArgumentException("the configuration is for a job of " + config.parallel().ranks() + " rank(s), this job has "
          + collectives.size());
    }
    this.collectives = collectives;
    this.config = config;
    this.genotype = genotype;
    this.data = data;
    Dataset train = data.train();
    if (train.height() != train.width()) throw new IllegalArgumentException("data set " + config.dataset() + ": square images needed");
    trainIndices = range(config.trainImages() > 0 ? Math.min(config.trainImages(), train.size()) : train.size());
    testIndices = range(config.testImages() > 0 ? Math.min(config.testImages(), data.test().size()) : data.test().size());
    NetworkConfig shape = new NetworkConfig(config.cells(), config.channels(), genotype.nodes(), train.channels(),
        Math.max(2, train.classCount()), train.height(), 3);
    device = Device.resolveForRank(config.device(), collectives.localRank());
    network = new EvalNetwork(shape, genotype, config.auxWeight() > 0, device, config.seed(), collectives);
    normalization = Normalization.forDataset(config.dataset(), train);
  }

  /** The run a checkpoint recorded; throws if the weights do not fit its network. */
  public static GenotypeTrainer restore(State s, List<float[]> arrays, TrainTest data) {
    return restore(s, arrays, data, Collectives.single());
  }

  /** The same as one rank of the job of collectives. */
  public static GenotypeTrainer restore(State s, List<float[]> arrays, TrainTest data, Collectives collectives) {
    GenotypeTrainer t = new GenotypeTrainer(s.config(), Genotype.parse(s.genotype()), data, collectives);
    if (arrays.size() != 3 || arrays.get(0).length != t.network.parameters().values().size()) {
      t.close();
      throw new IllegalArgumentException("weights do not fit the network of its configuration");
    }
    WeightState.set(t.network.parameters(), t.network.buffers(), arrays.toArray(new float[0][]));
    t.epoch = s.epoch();
    return t;
  }

  public TrainConfig config() {
    return config;
  }

  public Genotype genotype() {
    return genotype;
  }

  /** The input normalisation of the run's data set (what the network expects). */
  public Normalization normalization() {
    return normalization;
  }

  public EvalNetwork network() {
    return network;
  }

  /** Epochs trained. */
  public int epoch() {
    return epoch;
  }

  public boolean done() {
    return epoch >= config.epochs();
  }

  /**
   * Trains one epoch (cosine learning rate, drop-path rising linearly) and evaluates on the test
   * set; returns the epoch's log line. A non-finite training loss stops the run (the last
   * checkpoint stays good).
   */
  public JsonObject trainEpoch() {
    long t0 = System.nanoTime();
    float lr = (float) (0.5 * config.lr() * (1 + Math.cos(Math.PI * epoch / config.epochs())));
    float drop = (float) (config.dropPath() * epoch / config.epochs());
    double[] train = trainEpoch(lr, drop);
    Evaluation test = evaluate();
    JsonObject line = new JsonObject();
    line.addProperty("phase", "train");
    line.addProperty("epoch", epoch);
    line.addProperty("lr", lr);
    line.addProperty("drop_path", drop);
    line.addProperty("train_loss", train[0]);
    line.addProperty("train_acc", train[1]);
    line.addProperty("test_loss", test.loss());
    line.addProperty("test_acc", test.accuracy());
    line.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
    if (!Double.isFinite(train[0])) {
      throw new IllegalStateException("training loss became " + train[0] + " in epoch " + epoch + "; the last good checkpoint is intact");
    }
    epoch++;
    return line;
  }

  /** The final evaluation on the test set, after seconds of wall time. */
  public Result result(double seconds) {
    Evaluation test = evaluate();
    return new Result(genotype, config.seed(), test.accuracy(), test.perClass(), test.confusion(), network.parameterCountWithoutAuxiliary(),
        network.multiplyAdds(), seconds);
  }

  /** The names of the classes, in label order (result.json's). */
  public List<String> classNames() {
    return data.train().classNames();
  }

  /** The checkpoint's state besides {@link #arrays()}; logLines and elapsedSeconds are the run folder's. */
  public State state(long logLines, double elapsedSeconds) {
    return new State(config, genotype.toDartsString(), epoch, logLines, elapsedSeconds, 0);
  }

  /** Parameters, momentum and BN buffers. */
  public List<float[]> arrays() {
    return List.of(WeightState.copy(network.parameters(), network.buffers()));
  }

  private double[] trainEpoch(float lr, float dropProb) {
    Augmentation aug = Augmentation.training(normalization).withCutout(config.cutout());
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), aug, config.seed(), epoch).withDropLast(true)
        .withDevice(device).withShard(collectives.rank(), collectives.size());
    boolean parallel = collectives.size() > 1;
    SplittableRandom dropRng = new SplittableRandom(config.seed() * 1_000_003L + epoch);
    double lossSum = 0;
    long correct = 0, seen = 0;
    long size = network.parameters().size();
    try (BatchLoader loader = new BatchLoader(data.train(), trainIndices, options)) {
      while (loader.hasNext()) {
        Batch b = loader.next();
        BatchShard shard = BatchShard.of(b.total(), collectives.rank(), collectives.size());
        try (Scope step = Scope.open()) {
          network.parameters().zeroGrads();
          EvalNetwork.Output out = network.forward(b.images(), dropProb, dropRng, shard, Mode.TRAIN);
          Tensor dLogits = Tensor.emptyLike(out.logits());
          LossResult main = LossOps.softmaxCrossEntropy(out.logits(), b.labels(), dLogits);
          if (parallel) ElementwiseOps.scaleAdd(dLogits, shard.share(), dLogits, false);
          Tensor dAux = null;
          if (out.auxLogits() != null) {
            dAux = Tensor.emptyLike(out.auxLogits());
            LossOps.softmaxCrossEntropy(out.auxLogits(), b.labels(), dAux);
            ElementwiseOps.scaleAdd(dAux, (float) config.auxWeight() * (parallel ? shard.share() : 1f), dAux, false);
          }
          network.backward(dLogits, dAux);
          if (parallel) collectives.allReduceSum(network.parameters().grads());
          OptimOps.clipGradNorm((float) config.gradClip(), network.parameters().grads());
          network.parameters().sgdStep(List.of(new long[] {0, size}), lr, (float) config.momentum(), (float) config.weightDecay());
          lossSum += main.loss() * b.size();
          correct += main.correct();
          seen += b.size();
        }
      }
    }
    double[] sums = {lossSum, correct, seen};
    collectives.allReduceSum(sums);
    return new double[] {sums[0] / Math.max(1, sums[2]), sums[1] / Math.max(1, sums[2])};
  }

  /** Test-set loss, accuracy, per-class accuracy and confusion matrix [true][predicted]. */
  record Evaluation(double loss, double accuracy, double[] perClass, int[][] confusion) {}

  private Evaluation evaluate() {
    int k = Math.max(2, data.train().classCount());
    int[][] confusion = new int[k][k];
    double lossSum = 0;
    long seen = 0;
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), Augmentation.none(normalization), config.seed(), 0)
        .withShuffle(false).withDropLast(false).withDevice(device).withShard(collectives.rank(), collectives.size());
    try (BatchLoader loader = new BatchLoader(data.test(), testIndices, options)) {
      while (loader.hasNext()) {
        Batch b = loader.next();
        if (b.size() == 0) continue; // a last batch smaller than the job: running statistics need no other rank
        try (Scope step = Scope.open()) {
          EvalNetwork.Output out = network.forward(b.images(), 0f, null, Mode.EVAL);
          LossResult r = LossOps.softmaxCrossEntropy(out.logits(), b.labels(), null);
          float[] logits = out.logits().toArray();
          float[] labels = b.labels().toArray();
          for (int i = 0; i < b.size(); i++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
            confusion[(int) labels[i]][best]++;
          }
          lossSum += r.loss() * b.size();
          seen += b.size();
        }
      }
    }
    if (collectives.size() > 1) {
      double[] sums = new double[k * k + 2];
      for (int t = 0; t < k; t++) for (int p = 0; p < k; p++) sums[t * k + p] = confusion[t][p];
      sums[k * k] = lossSum;
      sums[k * k + 1] = seen;
      collectives.allReduceSum(sums);
      for (int t = 0; t < k; t++) for (int p = 0; p < k; p++) confusion[t][p] = (int) sums[t * k + p];
      lossSum = sums[k * k];
      seen = (long) sums[k * k + 1];
    }
    double[] perClass = new double[k];
    long right = 0;
    for (int c = 0; c < k; c++) {
      int total = Arrays.stream(confusion[c]).sum();
      perClass[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
      right += confusion[c][c];
    }
    return new Evaluation(lossSum / Math.max(1, seen), (double) right / Math.max(1, seen), perClass, confusion);
  }

  private static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  @Override
  public void close() {
    network.close();
  }
}
