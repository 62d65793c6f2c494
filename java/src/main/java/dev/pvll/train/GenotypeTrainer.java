package dev.pvll.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.LossResult;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.nn.WeightState;
import dev.pvll.search.SearchCheckpoint;
import dev.pvll.space.CellPicture;
import dev.pvll.space.Genotype;
import dev.pvll.space.NetworkConfig;
import dev.pvll.supernet.EvalNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Retrains a genotype from scratch and evaluates it on the test set: one epoch per unit, an
 * atomic checkpoint and a JSONL log line after each, resumable; at the end test accuracy,
 * per-class accuracy, confusion matrix, parameter count and multiply-adds in result.json.
 */
public final class GenotypeTrainer implements AutoCloseable {
  /** Called after every epoch. */
  public interface Listener {
    void epochDone(int epoch, int epochs, JsonObject line, double elapsedSeconds);
  }

  /** The outcome of a training run. */
  public record Result(Genotype genotype, long seed, double testAccuracy, double[] perClassAccuracy, int[][] confusion,
      long parameters, long multiplyAdds, double seconds, Path outDir) {}

  record State(TrainConfig config, String genotype, int epoch, long logLines, double elapsedSeconds, long rngState) {}

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();
  private static final String CHECKPOINT = "checkpoint.bin";

  private final TrainConfig config;
  private final Genotype genotype;
  private final Path outDir;
  private final TrainTest data;
  private final int[] trainIndices, testIndices;
  private final EvalNetwork network;
  /** Where the network lives; the loader delivers batches there (on a GPU through pinned memory and a copy stream). */
  private final Device device;
  private final Normalization normalization;
  private int epoch;
  private long logLines;
  private double elapsedBefore;

  private GenotypeTrainer(TrainConfig config, Genotype genotype, TrainTest data, Path outDir) {
    this.config = config;
    this.genotype = genotype;
    this.outDir = outDir;
    this.data = data;
    Dataset train = data.train();
    if (train.height() != train.width()) throw new IllegalArgumentException("--dataset: square images needed");
    trainIndices = range(config.trainImages() > 0 ? Math.min(config.trainImages(), train.size()) : train.size());
    testIndices = range(config.testImages() > 0 ? Math.min(config.testImages(), data.test().size()) : data.test().size());
    NetworkConfig shape = new NetworkConfig(config.cells(), config.channels(), genotype.nodes(), train.channels(),
        Math.max(2, train.classCount()), train.height(), 3);
    device = Device.resolve(config.device());
    network = new EvalNetwork(shape, genotype, config.auxWeight() > 0, device, config.seed());
    normalization = Normalization.forDataset(config.dataset(), train);
  }

  /** A new run in outDir. */
  public static GenotypeTrainer start(TrainConfig config, Genotype genotype, TrainTest data, Path outDir) throws IOException {
    Files.createDirectories(outDir);
    if (Files.exists(outDir.resolve(CHECKPOINT))) {
      throw new IllegalArgumentException("--out " + outDir + " already holds a training run; use --resume " + outDir);
    }
    GenotypeTrainer t = new GenotypeTrainer(config, genotype, data, outDir);
    Files.writeString(outDir.resolve("config.json"), new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(config));
    Files.writeString(outDir.resolve("genotype.txt"), genotype.toDartsString() + "\n");
    Files.writeString(outDir.resolve("genotype.json"), genotype.toJson());
    CellPicture.writePng(genotype, outDir);
    CellPicture.writeSvg(genotype, outDir);
    Files.write(outDir.resolve("log.jsonl"), new byte[0]);
    return t;
  }

  /** The saved configuration and genotype of a run (to load its data before resuming). */
  public static TrainConfig savedConfig(Path outDir) throws IOException {
    return readState(outDir).config();
  }

  public static GenotypeTrainer resume(Path outDir, TrainTest data) throws IOException {
    SearchCheckpoint.Content c = SearchCheckpoint.read(outDir.resolve(CHECKPOINT));
    State s = GSON.fromJson(c.json(), State.class);
    GenotypeTrainer t = new GenotypeTrainer(s.config(), Genotype.parse(s.genotype()), data, outDir);
    if (c.arrays().size() != 3 || c.arrays().get(0).length != t.network.parameters().values().size()) {
      throw new IOException(outDir.resolve(CHECKPOINT) + ": weights do not fit the network of its configuration");
    }
    WeightState.set(t.network.parameters(), t.network.buffers(), c.arrays().toArray(new float[0][]));
    t.epoch = s.epoch();
    t.logLines = s.logLines();
    t.elapsedBefore = s.elapsedSeconds();
    List<String> lines = Files.readAllLines(outDir.resolve("log.jsonl"));
    Files.write(outDir.resolve("log.jsonl"), lines.subList(0, (int) Math.min(lines.size(), s.logLines())));
    return t;
  }

  private static State readState(Path outDir) throws IOException {
    Path f = outDir.resolve(CHECKPOINT);
    if (!Files.exists(f)) throw new IllegalArgumentException("--resume " + outDir + ": no " + CHECKPOINT + " there");
    return GSON.fromJson(SearchCheckpoint.read(f).json(), State.class);
  }

  public EvalNetwork network() {
    return network;
  }

  /** Trains the remaining epochs, then evaluates and writes result.json. */
  public Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    while (epoch < config.epochs()) {
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
      Files.writeString(outDir.resolve("log.jsonl"), GSON.toJson(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      logLines++;
      epoch++;
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      saveCheckpoint(elapsed);
      if (listener != null) listener.epochDone(epoch, config.epochs(), line, elapsed);
    }
    Evaluation test = evaluate();
    double seconds = elapsedBefore + (System.nanoTime() - start) / 1e9;
    Result r = new Result(genotype, config.seed(), test.accuracy(), test.perClass(), test.confusion(),
        network.parameterCountWithoutAuxiliary(), network.multiplyAdds(), seconds, outDir);
    writeResult(r);
    return r;
  }

  private double[] trainEpoch(float lr, float dropProb) {
    Augmentation aug = Augmentation.training(normalization).withCutout(config.cutout());
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), aug, config.seed(), epoch).withDropLast(true)
        .withDevice(device);
    SplittableRandom dropRng = new SplittableRandom(config.seed() * 1_000_003L + epoch);
    double lossSum = 0;
    long correct = 0, seen = 0;
    long size = network.parameters().size();
    try (BatchLoader loader = new BatchLoader(data.train(), trainIndices, options)) {
      while (loader.hasNext()) {
        Batch b = loader.next();
        try (Scope step = Scope.open()) {
          network.parameters().zeroGrads();
          EvalNetwork.Output out = network.forward(b.images(), dropProb, dropRng, Mode.TRAIN);
          Tensor dLogits = Tensor.emptyLike(out.logits());
          LossResult main = LossOps.softmaxCrossEntropy(out.logits(), b.labels(), dLogits);
          Tensor dAux = null;
          if (out.auxLogits() != null) {
            dAux = Tensor.emptyLike(out.auxLogits());
            LossOps.softmaxCrossEntropy(out.auxLogits(), b.labels(), dAux);
            dev.pvll.kernels.ElementwiseOps.scaleAdd(dAux, (float) config.auxWeight(), dAux, false);
          }
          network.backward(dLogits, dAux);
          OptimOps.clipGradNorm((float) config.gradClip(), network.parameters().grads());
          network.parameters().sgdStep(List.of(new long[] {0, size}), lr, (float) config.momentum(), (float) config.weightDecay());
          lossSum += main.loss() * b.size();
          correct += main.correct();
          seen += b.size();
        }
      }
    }
    return new double[] {lossSum / Math.max(1, seen), (double) correct / Math.max(1, seen)};
  }

  /** Test-set loss, accuracy, per-class accuracy and confusion matrix [true][predicted]. */
  record Evaluation(double loss, double accuracy, double[] perClass, int[][] confusion) {}

  private Evaluation evaluate() {
    int k = Math.max(2, data.train().classCount());
    int[][] confusion = new int[k][k];
    double lossSum = 0;
    long seen = 0;
    BatchLoader.Options options = BatchLoader.Options.of(config.batchSize(), Augmentation.none(normalization), config.seed(), 0)
        .withShuffle(false).withDropLast(false).withDevice(device);
    try (BatchLoader loader = new BatchLoader(data.test(), testIndices, options)) {
      while (loader.hasNext()) {
        Batch b = loader.next();
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
    double[] perClass = new double[k];
    long right = 0;
    for (int c = 0; c < k; c++) {
      int total = Arrays.stream(confusion[c]).sum();
      perClass[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
      right += confusion[c][c];
    }
    return new Evaluation(lossSum / Math.max(1, seen), (double) right / Math.max(1, seen), perClass, confusion);
  }

  private void saveCheckpoint(double elapsed) throws IOException {
    State s = new State(config, genotype.toDartsString(), epoch, logLines, elapsed, 0);
    SearchCheckpoint.write(outDir.resolve(CHECKPOINT), GSON.toJson(s), List.of(WeightState.copy(network.parameters(), network.buffers())));
  }

  /** Whether outDir holds a finished run (its result.json). */
  public static boolean isFinished(Path outDir) {
    return Files.exists(outDir.resolve("result.json"));
  }

  /** Whether outDir holds a run that can be resumed (its checkpoint). */
  public static boolean hasCheckpoint(Path outDir) {
    return Files.exists(outDir.resolve(CHECKPOINT));
  }

  /** The result a finished run wrote to outDir/result.json. */
  public static Result readResult(Path outDir) throws IOException {
    Path f = outDir.resolve("result.json");
    JsonObject o;
    try {
      o = com.google.gson.JsonParser.parseString(Files.readString(f)).getAsJsonObject();
      double[] perClass = GSON.fromJson(o.get("per_class_accuracy"), double[].class);
      int[][] confusion = GSON.fromJson(o.get("confusion"), int[][].class);
      return new Result(Genotype.parse(o.get("genotype").getAsString()), o.get("seed").getAsLong(), o.get("test_accuracy").getAsDouble(),
          perClass, confusion, o.get("parameters").getAsLong(), o.get("multiply_adds").getAsLong(), o.get("seconds").getAsDouble(), outDir);
    } catch (RuntimeException e) {
      throw new IOException(f + ": not a result.json of pvll train (" + e.getMessage() + ")", e);
    }
  }

  private void writeResult(Result r) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("genotype", r.genotype().toDartsString());
    o.addProperty("seed", r.seed());
    o.addProperty("test_accuracy", r.testAccuracy());
    JsonArray per = new JsonArray();
    for (double a : r.perClassAccuracy()) per.add(a);
    o.add("per_class_accuracy", per);
    JsonArray classes = new JsonArray();
    for (String n : data.train().classNames()) classes.add(n);
    o.add("class_names", classes);
    o.add("confusion", GSON.toJsonTree(r.confusion()));
    o.addProperty("parameters", r.parameters());
    o.addProperty("multiply_adds", r.multiplyAdds());
    o.addProperty("seconds", r.seconds());
    Files.writeString(outDir.resolve("result.json"), new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(o));
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
