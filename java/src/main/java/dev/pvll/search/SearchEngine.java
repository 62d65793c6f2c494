package dev.pvll.search;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Normalization;
import dev.pvll.data.Splits;
import dev.pvll.kernels.Device;
import dev.pvll.nn.WeightState;
import dev.pvll.space.CellPicture;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.GenotypeDerivation;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import dev.pvll.supernet.SgdConfig;
import dev.pvll.supernet.SupernetTrainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The PVLL-NAS search (METHOD.md, Algorithm 1) as a resumable sequence of units, each followed
 * by an atomic checkpoint: warm-up training of N sampled architectures, a second epoch and a
 * label for each (the memory), psi's warm-up fit, T search steps (sample around A, train one
 * epoch, label, score with psi before refitting, refit, one architecture step), and a final
 * unit that trains and labels the derived genotype. The random baseline runs the same schedule
 * with uniform samples and keeps the best measured architecture.
 */
public final class SearchEngine implements AutoCloseable {
  /** Where the run stands: the next unit to execute. */
  enum Phase { WARMUP_TRAIN, WARMUP_LABEL, PSI_WARMUP, SEARCH, GDAS, FINAL, DONE }

  /** Receives a line after every unit (progress bars). */
  public interface Listener {
    void unitDone(String phase, int unit, int totalUnits, JsonObject logLine, double elapsedSeconds);
  }

  /** What a finished search produced. */
  public record Result(Genotype genotype, double finalValidationLoss, double heldOutTau, double warmupMeanLoss,
      double warmupBestLoss, double bestMeasuredLoss, double seconds, Path outDir) {}

  /** The serialisable state besides the float arrays. */
  record State(SearchConfig config, Phase phase, int index, int epoch, Architect.State architect, PredictorTrainer.State psi,
      Memory.State memory, double[] heldOutPredictions, double[] heldOutLabels, double bestLoss, double[] bestH, double[] warmupLabels,
      long logLines, double elapsedSeconds, Double finalLoss, Integer snapshotEpoch) {}

  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();
  static final String CHECKPOINT = "checkpoint.bin";

  /**
   * System property choosing the device-resident step ({@link dev.pvll.supernet.ResidentTrainer})
   * for the supernet's epochs and validation passes: "auto" (default: on CUDA devices), "on" or
   * "off". The numbers are the same either way (bit for bit on the CPU).
   */
  public static final String RESIDENT_STEP_PROPERTY = "pvll.residentStep";
  /** System property: "false" runs the resident step as plain launches instead of CUDA graphs. */
  public static final String CUDA_GRAPHS_PROPERTY = "pvll.cudaGraphs";
  /** System property: "true" runs each cell's edges as parallel branches of the graph (lanes). */
  public static final String CUDA_LANES_PROPERTY = "pvll.cudaLanes";
  /** System property: "root" sets every switch of a graph with one kernel at its root ("each": one kernel per switch). */
  public static final String CUDA_SWITCHES_PROPERTY = "pvll.cudaSwitches";

  private final SearchConfig config;
  private final Path outDir;
  private final SearchNetwork network;
  private final SupernetEpochs epochs;
  private final Architect architect;
  private final PredictorTrainer psiTrainer;
  private Memory memory;
  private Phase phase = Phase.WARMUP_TRAIN;
  private int index;
  private int epoch;
  private final List<Double> heldOutPredictions = new ArrayList<>();
  private final List<Double> heldOutLabels = new ArrayList<>();
  private final List<Double> warmupLabels = new ArrayList<>();
  private double bestLoss = Double.POSITIVE_INFINITY;
  private double[] bestH;
  private long logLines;
  private double elapsedBefore;
  private Double finalLoss;
  /**
   * Label mode "snapshot": parameters, momentum and BN buffers at the end of the first warm-up
   * pass, and that epoch's index (its learning rate and data order serve every label).
   */
  private float[][] snapshot;
  private int snapshotEpoch = -1;
  /** The learning rate of the last supernet epoch run (for the log). */
  private float lastLr;
  /** First draw counter of the per-batch samples of frozen labels' warm-up (above any label's counter). */
  private static final long PER_BATCH_DRAWS = 1L << 40;

  private SearchEngine(SearchConfig config, Path outDir, Dataset train) {
    this.config = config;
    this.outDir = outDir;
    checkDataFits(config, train);
    Device device = Device.resolve(config.device());
    network = new SearchNetwork(config.network(), device, config.seed());
    SupernetTrainer trainer = new SupernetTrainer(network,
        new SgdConfig((float) config.momentum(), (float) config.weightDecay(), (float) config.gradClip()));
    Splits.Split split = Splits.trainValidation(train.size(), config.trainFraction(), OptionalLong.empty());
    epochs = new SupernetEpochs(trainer, train, split.train(), split.validation(), Normalization.forDataset(config.dataset(), train), config);
    ArchEncoding encoding = new ArchEncoding(config.network().nodes(), Primitive.values().length);
    Architect.Options archOptions = Architect.Options.defaults()
        .withAdam(Adam.Options.of(config.archLr(), 0.5, 0.999, config.archWeightDecay()))
        .withTau(config.tau())
        .withSampler(config.uniformSampler() || config.method().equals("random") ? Architect.Sampler.UNIFORM : Architect.Sampler.AROUND_A);
    architect = new Architect(encoding, archOptions, config.seed());
    Predictor psi = newPredictor(config, encoding, config.seed());
    PredictorTrainer.Options psiOptions = PredictorTrainer.Options.defaults()
        .withLoss(config.weightedLoss() ? PredictorTrainer.Loss.WEIGHTED : PredictorTrainer.Loss.MSE)
        .withAdam(Adam.Options.of(config.psiLr(), 0.5, 0.999, 0))
        .withMaxPasses(config.psiPasses())
        .withStopTau(config.psiStopTau());
    psiTrainer = new PredictorTrainer(psi, psiOptions, config.seed());
    memory = new Memory(config.memoryCapacity());
  }

  /** A new run writing into outDir (created; it must not hold another run). */
  public static SearchEngine start(SearchConfig config, Dataset train, Path outDir) throws IOException {
    Files.createDirectories(outDir);
    if (Files.exists(outDir.resolve(CHECKPOINT))) {
      throw new IllegalArgumentException("--out " + outDir + " already holds a search; use --resume " + outDir + " or another --out");
    }
    SearchEngine engine = new SearchEngine(config, outDir, train);
    if (config.method().equals("gdas")) engine.phase = Phase.GDAS;
    Files.writeString(outDir.resolve("config.json"), new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(config));
    Files.deleteIfExists(outDir.resolve("log.jsonl"));
    Files.createFile(outDir.resolve("log.jsonl"));
    return engine;
  }

  /** The configuration saved in outDir's checkpoint (to load the right data before resuming). */
  public static SearchConfig savedConfig(Path outDir) throws IOException {
    return readState(outDir).config();
  }

  /** psi as saved in outDir's checkpoint, with the memory it was fitted on (for the report's landscape map). */
  public static PsiSnapshot savedPsi(Path outDir) throws IOException {
    State s = readState(outDir);
    ArchEncoding enc = new ArchEncoding(s.config().network().nodes(), Primitive.values().length);
    Predictor psi = newPredictor(s.config(), enc, 0);
    psi.setParameters(s.psi().parameters());
    return new PsiSnapshot(psi, Memory.fromState(s.memory()));
  }

  /** psi of the configured kind: METHOD.md's LSTM, or the MLP option. */
  private static Predictor newPredictor(SearchConfig c, ArchEncoding enc, long seed) {
    return PredictorKind.parse(c.predictor()).create(enc, seed);
  }

  /** A fitted psi and its memory. */
  public record PsiSnapshot(Predictor psi, Memory memory) {}

  /** Continues the run whose checkpoint is in outDir, on data loaded with its saved config. */
  public static SearchEngine resume(Path outDir, Dataset train) throws IOException {
    SearchEngine e = open(outDir, train);
    e.truncateLog(e.logLines);
    return e;
  }

  /**
   * The run in outDir as its last checkpoint left it, read only: for scoring genotypes with its
   * shared weights ({@link #score}). Nothing in outDir is written.
   */
  public static SearchEngine open(Path outDir, Dataset train) throws IOException {
    SearchCheckpoint.Content c = SearchCheckpoint.read(outDir.resolve(CHECKPOINT));
    State s = GSON.fromJson(c.json(), State.class);
    SearchEngine e = new SearchEngine(s.config(), outDir, train);
    e.restore(s, c.arrays());
    return e;
  }

  /**
   * A genotype's validation loss on the current shared weights, one pass with each validation
   * batch normalised by its own statistics (running statistics describe only the architectures
   * trained last, so they would say little about another one). With label mode frozen this is
   * exactly the label the run gives the genotype. The weights are not changed.
   */
  public ValidationScore score(Genotype g) {
    SupernetEpochs.Stats v = epochs.validate(fromGenotype(g, config.network()), dev.pvll.nn.Mode.EVAL_BATCH_STATS);
    return new ValidationScore(v.loss(), v.accuracy());
  }

  /** Validation loss and accuracy of one scored architecture. */
  public record ValidationScore(double loss, double accuracy) {}

  private static State readState(Path outDir) throws IOException {
    Path file = outDir.resolve(CHECKPOINT);
    if (!Files.exists(file)) throw new IllegalArgumentException("--resume " + outDir + ": no " + CHECKPOINT + " there");
    return GSON.fromJson(SearchCheckpoint.read(file).json(), State.class);
  }

  public SearchConfig config() {
    return config;
  }

  /** Units of the whole run (for progress). */
  public int totalUnits() {
    return isGdas() ? config.totalEpochs() + 1 : warmupTrainUnits() + config.warmup() + 1 + config.steps() + 1;
  }

  private boolean isGdas() {
    return config.method().equals("gdas");
  }

  /** GDAS's temperature in epoch e: linear from 10 to 0.1 over the run. */
  double gdasTau(int e) {
    int last = Math.max(1, config.totalEpochs() - 1);
    return 10.0 - (10.0 - 0.1) * Math.min(e, last) / last;
  }

  /** The supernet being trained (package-private: tests poison it to exercise the NaN guard). */
  SearchNetwork network() {
    return network;
  }

  /** Runs every remaining unit, checkpointing after each; then writes the genotype files. */
  public Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    while (phase != Phase.DONE) {
      int unit = unitNumber();
      JsonObject line = runUnit();
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      if (line != null) appendLog(line);
      saveCheckpoint(elapsed);
      if (listener != null) listener.unitDone(line == null ? "psi_warmup" : line.get("phase").getAsString(), unit + 1, totalUnits(), line, elapsed);
    }
    double seconds = elapsedBefore + (System.nanoTime() - start) / 1e9;
    return finish(seconds);
  }

  /**
   * Units of the warm-up that only train: the first pass over the N warm-up architectures, and with
   * frozen labels the second pass too (both passes train before the weights freeze).
   */
  private int warmupTrainUnits() {
    return config.frozenLabels() ? 2 * config.warmup() : config.warmup();
  }

  private int unitNumber() {
    int n = config.warmup(), t = warmupTrainUnits();
    return switch (phase) {
      case WARMUP_TRAIN -> index;
      case WARMUP_LABEL -> t + index;
      case PSI_WARMUP -> t + n;
      case SEARCH -> t + n + 1 + index;
      case GDAS -> index;
      case FINAL -> isGdas() ? config.totalEpochs() : t + n + 1 + config.steps();
      case DONE -> totalUnits();
    };
  }

  /** Runs the next unit and advances the position; returns its log line (null for psi's warm-up). */
  private JsonObject runUnit() {
    long t0 = System.nanoTime();
    int n = config.warmup();
    switch (phase) {
      case WARMUP_TRAIN -> {
        Architecture a = architect.sampleAt(index % n);
        JsonObject line;
        if (config.frozenLabels()) {
          // one-shot training: a fresh architecture every batch, draws far from the warm-up's and the search's
          int e = epoch;
          SupernetEpochs.Stats tr = countedEpoch(e, lr -> epochs.trainPerBatch(architect, e, lr, PER_BATCH_DRAWS + 1_000_000L * e));
          line = logLine("warmup_train", index, null, tr, null, t0);
        } else {
          line = logLine("warmup_train", index, a, trainEpoch(a), null, t0);
        }
        int units = warmupTrainUnits();
        advance(index + 1 < units ? Phase.WARMUP_TRAIN : Phase.WARMUP_LABEL, index + 1 < units ? index + 1 : 0);
        return line;
      }
      case WARMUP_LABEL -> {
        Architecture a = architect.sampleAt(index);
        SupernetEpochs.Stats tr = labelEpoch(SupernetEpochs.toNetwork(a));
        SupernetEpochs.Stats val = epochs.validate(SupernetEpochs.toNetwork(a));
        JsonObject line = logLine("warmup", index, a, tr, val, t0);
        double label = val.loss();
        memory.add(a.weights(), label);
        warmupLabels.add(label);
        trackBest(a, label);
        advance(index + 1 < n ? Phase.WARMUP_LABEL : Phase.PSI_WARMUP, index + 1 < n ? index + 1 : 0);
        return line;
      }
      case PSI_WARMUP -> {
        if (usesPsi() && !memory.isEmpty()) psiTrainer.refit(memory, config.psiPasses(), 2.0); // METHOD.md: 500 passes
        advance(config.steps() > 0 ? Phase.SEARCH : Phase.FINAL, 0);
        return null;
      }
      case SEARCH -> {
        Architecture a = architect.sampleAt(n + (long) index);
        SupernetEpochs.Stats tr = labelEpoch(SupernetEpochs.toNetwork(a));
        SupernetEpochs.Stats val = epochs.validate(SupernetEpochs.toNetwork(a));
        JsonObject line = logLine("search", index, a, tr, val, t0);
        double label = val.loss();
        Double prediction = null;
        if (usesPsi()) {
          prediction = psiTrainer.predictor().predict(a.weights()); // scored before psi sees this label
          heldOutPredictions.add(prediction);
          heldOutLabels.add(label);
        }
        memory.add(a.weights(), label);
        trackBest(a, label);
        if (prediction != null) line.addProperty("psi_prediction", prediction);
        if (usesPsi()) {
          PredictorTrainer.RefitResult fit = psiTrainer.refit(memory);
          line.addProperty("memory_tau", fit.tau());
          line.addProperty("psi_passes", fit.passes());
          Architect.StepResult step = architect.step(psiTrainer.predictor(), a);
          line.addProperty("arch_objective", step.objective());
          line.addProperty("entropy", architect.meanSamplingEntropy());
          JsonArray perEdge = new JsonArray();
          for (double h : architect.samplingEntropies()) perEdge.add((float) h);
          line.add("entropy_per_edge", perEdge);
          line.addProperty("genotype", currentGenotype().toDartsString());
        }
        line.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
        advance(index + 1 < config.steps() ? Phase.SEARCH : Phase.FINAL, index + 1 < config.steps() ? index + 1 : 0);
        return line;
      }
      case GDAS -> {
        float lr = learningRate(epoch);
        double tau = gdasTau(index);
        SupernetEpochs.Stats[] st = epochs.gdasEpoch(architect, epoch, lr, tau, 1_000_000L * index);
        epoch++;
        JsonObject line = new JsonObject();
        line.addProperty("phase", "gdas");
        line.addProperty("step", index);
        line.addProperty("epoch", epoch - 1);
        line.addProperty("lr", lr);
        line.addProperty("tau", tau);
        line.addProperty("train_loss", st[0].loss());
        line.addProperty("train_acc", st[0].accuracy());
        line.addProperty("val_loss", st[1].loss());
        line.addProperty("val_acc", st[1].accuracy());
        line.addProperty("entropy", architect.meanSamplingEntropy());
        line.addProperty("genotype", currentGenotype().toDartsString());
        line.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
        advance(index + 1 < config.totalEpochs() ? Phase.GDAS : Phase.FINAL, index + 1 < config.totalEpochs() ? index + 1 : 0);
        return line;
      }
      case FINAL -> {
        Genotype g = currentGenotype();
        SampledArchitecture arch = fromGenotype(g, config.network());
        SupernetEpochs.Stats tr = labelEpoch(arch);
        float lr = lastLr;
        SupernetEpochs.Stats val = epochs.validate(arch);
        JsonObject line = new JsonObject();
        line.addProperty("phase", "final");
        line.addProperty("step", 0);
        line.addProperty("epoch", epoch - 1);
        line.addProperty("lr", lr);
        line.addProperty("genotype", g.toDartsString());
        if (tr != null) {
          line.addProperty("train_loss", tr.loss());
          line.addProperty("train_acc", tr.accuracy());
        }
        line.addProperty("val_loss", val.loss());
        line.addProperty("val_acc", val.accuracy());
        finalLoss = val.loss();
        line.addProperty("kendall_tau", heldOutTau());
        line.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
        advance(Phase.DONE, 0);
        return line;
      }
      default -> throw new IllegalStateException("no unit after DONE");
    }
  }

  private boolean usesPsi() {
    return config.method().equals("pvll");
  }

  private SupernetEpochs.Stats trainEpoch(Architecture a) {
    return supernetEpoch(SupernetEpochs.toNetwork(a), epoch);
  }

  /**
   * The supernet epoch that precedes a label. METHOD.md: one more epoch of the shared weights
   * with this architecture. Label mode "snapshot": the same epoch, but always from the weights
   * saved at the end of the first warm-up pass, with that epoch's learning rate and data order,
   * so that a label depends on the architecture and not on when it was measured. Label mode
   * "frozen": none (null), the weights stay as the warm-up left them.
   */
  private SupernetEpochs.Stats labelEpoch(SampledArchitecture arch) {
    if (config.frozenLabels()) return null;
    if (!config.labelMode().equals("snapshot")) return supernetEpoch(arch, epoch);
    if (snapshot == null) {
      snapshotEpoch = epoch;
      snapshot = weightState();
    }
    setWeightState(snapshot);
    return supernetEpoch(arch, snapshotEpoch);
  }

  /** One supernet epoch of arch at the learning rate and data order of epoch e; counts one epoch run. */
  private SupernetEpochs.Stats supernetEpoch(SampledArchitecture arch, int e) {
    return countedEpoch(e, lr -> epochs.train(arch, e, lr));
  }

  /** Runs a training epoch at the learning rate of epoch e (kept for the log) and counts it. */
  private SupernetEpochs.Stats countedEpoch(int e, java.util.function.Function<Float, SupernetEpochs.Stats> train) {
    lastLr = learningRate(e);
    SupernetEpochs.Stats s = train.apply(lastLr);
    epoch++;
    return s;
  }

  /** The supernet's parameters, their momentum and its BN buffers, copied to the host. */
  private float[][] weightState() {
    return WeightState.copy(network.parameters(), network.buffers());
  }

  /** Sets what {@link #weightState()} returned. */
  private void setWeightState(float[][] w) {
    WeightState.set(network.parameters(), network.buffers(), w);
  }

  /** Cosine annealing from lrMax to lrMin over all epochs, stepped per epoch (PyTorch CosineAnnealingLR). */
  float learningRate(int e) {
    int total = Math.max(1, config.totalEpochs());
    return (float) (config.lrMin() + 0.5 * (config.lrMax() - config.lrMin()) * (1 + Math.cos(Math.PI * e / total)));
  }

  private void advance(Phase next, int nextIndex) {
    phase = next;
    index = nextIndex;
  }

  private void trackBest(Architecture a, double loss) {
    if (loss < bestLoss) {
      bestLoss = loss;
      bestH = a.weights().clone();
    }
  }

  /** pvll and gdas: the DARTS rule on A; random: the DARTS rule on the best measured sample's H. */
  public Genotype currentGenotype() {
    ArchEncoding enc = architect.encoding();
    boolean random = config.method().equals("random");
    double[] source = !random ? architect.alpha() : (bestH != null ? bestH : architect.alpha());
    float[][][] cells = new float[2][enc.edgesPerCell()][enc.ops()];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < enc.edgesPerCell(); e++) {
        for (int o = 0; o < enc.ops(); o++) cells[t][e][o] = (float) source[enc.index(t * enc.edgesPerCell() + e, o)];
      }
    }
    return GenotypeDerivation.derive(cells[0], cells[1], enc.nodes());
  }

  /** The genotype as a supernet architecture: its genes with weight 1, every other edge none. */
  static SampledArchitecture fromGenotype(Genotype g, NetworkConfig net) {
    int edges = net.edges();
    CellChoice[] cells = new CellChoice[2];
    for (int t = 0; t < 2; t++) {
      List<Gene> genes = t == 0 ? g.normal() : g.reduce();
      int[] ops = new int[edges];
      float[] w = new float[edges];
      for (int k = 0; k < genes.size(); k++) {
        int e = net.topology().firstEdgeOf(k / 2 + 2) + genes.get(k).input();
        if (w[e] != 0) continue; // two genes on one edge: the first wins
        ops[e] = genes.get(k).op().ordinal();
        w[e] = 1f;
      }
      cells[t] = new CellChoice(ops, w);
    }
    return new SampledArchitecture(cells[0], cells[1]);
  }

  /** Kendall tau of psi's predictions, made before each label was fitted, against the labels. */
  public double heldOutTau() {
    if (heldOutLabels.size() < 2) return Double.NaN;
    double[] p = heldOutPredictions.stream().mapToDouble(Double::doubleValue).toArray();
    double[] l = heldOutLabels.stream().mapToDouble(Double::doubleValue).toArray();
    return KendallTau.tau(p, l);
  }

  /** A log line; a null architecture means one per training batch (frozen labels' warm-up). */
  private JsonObject logLine(String phaseName, int step, Architecture a, SupernetEpochs.Stats tr, SupernetEpochs.Stats val, long t0) {
    JsonObject o = new JsonObject();
    o.addProperty("phase", phaseName);
    o.addProperty("step", step);
    if (a != null) o.addProperty("counter", a.counter());
    o.addProperty("epoch", epoch - 1);
    o.addProperty("lr", lastLr);
    if (a != null) {
      JsonObject arch = new JsonObject();
      arch.add("normal", ops(a, 0));
      arch.add("reduce", ops(a, 1));
      JsonArray weights = new JsonArray();
      for (double w : a.edgeWeights()) weights.add((float) w);
      arch.add("edge_weights", weights);
      o.add("architecture", arch);
    } else {
      o.addProperty("architecture", "one per batch");
    }
    if (tr != null) {
      o.addProperty("train_loss", tr.loss());
      o.addProperty("train_acc", tr.accuracy());
    }
    if (val != null) {
      o.addProperty("val_loss", val.loss());
      o.addProperty("val_acc", val.accuracy());
    }
    o.addProperty("kendall_tau", heldOutTau());
    o.addProperty("entropy", architect.meanSamplingEntropy());
    o.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
    return o;
  }

  private static JsonArray ops(Architecture a, int cell) {
    JsonArray arr = new JsonArray();
    for (int op : a.cellOps(cell)) arr.add(Primitive.values()[op].dartsName());
    return arr;
  }

  private void appendLog(JsonObject line) throws IOException {
    Files.writeString(outDir.resolve("log.jsonl"), GSON.toJson(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    logLines++;
  }

  /** After a resume: drops log lines written after the checkpoint (the unit that was cut off). */
  private void truncateLog(long lines) throws IOException {
    Path log = outDir.resolve("log.jsonl");
    List<String> all = Files.exists(log) ? Files.readAllLines(log) : List.of();
    if (all.size() < lines) throw new IOException(log + ": has " + all.size() + " lines, the checkpoint expects " + lines);
    Files.write(log, all.subList(0, (int) lines));
  }

  private void saveCheckpoint(double elapsed) throws IOException {
    State s = new State(config, phase, index, epoch, architect.state(), psiTrainer.state(), memory.state(),
        toArray(heldOutPredictions), toArray(heldOutLabels), bestLoss, bestH, toArray(warmupLabels), logLines, elapsed, finalLoss, snapshot == null ? null : snapshotEpoch);
    List<float[]> arrays = new ArrayList<>(List.of(weightState()));
    if (snapshot != null) arrays.addAll(List.of(snapshot));
    SearchCheckpoint.write(outDir.resolve(CHECKPOINT), GSON.toJson(s), arrays);
  }

  private void restore(State s, List<float[]> arrays) throws IOException {
    if (arrays.size() != (s.snapshotEpoch() == null ? 3 : 6) || arrays.get(0).length != network.parameters().values().size()
        || arrays.get(2).length != network.buffers().values().size()) {
      throw new IOException(outDir.resolve(CHECKPOINT) + ": weights do not fit the network of its configuration");
    }
    setWeightState(new float[][] {arrays.get(0), arrays.get(1), arrays.get(2)});
    phase = s.phase();
    index = s.index();
    epoch = s.epoch();
    lastLr = epoch > 0 ? learningRate(epoch - 1) : 0f; // what frozen-label lines report; other modes set it before logging
    architect.restore(s.architect());
    psiTrainer.restore(s.psi());
    memory = Memory.fromState(s.memory());
    for (double v : s.heldOutPredictions()) heldOutPredictions.add(v);
    for (double v : s.heldOutLabels()) heldOutLabels.add(v);
    for (double v : s.warmupLabels()) warmupLabels.add(v);
    bestLoss = s.bestLoss();
    bestH = s.bestH();
    logLines = s.logLines();
    elapsedBefore = s.elapsedSeconds();
    finalLoss = s.finalLoss();
    if (s.snapshotEpoch() != null) {
      snapshotEpoch = s.snapshotEpoch();
      snapshot = new float[][] {arrays.get(3), arrays.get(4), arrays.get(5)};
    }
  }

  private Result finish(double seconds) throws IOException {
    Genotype g = currentGenotype();
    Files.writeString(outDir.resolve("genotype.json"), g.toJson());
    Files.writeString(outDir.resolve("genotype.txt"), g.toDartsString() + "\n");
    CellPicture.writeSvg(g, outDir);
    CellPicture.writePng(g, outDir);
    double warmMean = warmupLabels.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double warmBest = warmupLabels.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    Result r = new Result(g, finalLoss == null ? Double.NaN : finalLoss, heldOutTau(), warmMean, warmBest, bestLoss, seconds, outDir);
    JsonObject summary = new JsonObject();
    summary.addProperty("method", config.method());
    summary.addProperty("label_mode", config.labelMode());
    summary.addProperty("genotype", g.toDartsString());
    summary.addProperty("final_val_loss", r.finalValidationLoss());
    summary.addProperty("held_out_kendall_tau", r.heldOutTau());
    summary.addProperty("warmup_mean_val_loss", warmMean);
    summary.addProperty("warmup_best_val_loss", warmBest);
    summary.addProperty("best_measured_val_loss", bestLoss);
    summary.addProperty("final_entropy", architect.meanSamplingEntropy());
    summary.addProperty("seconds", seconds);
    Files.writeString(outDir.resolve("summary.json"), new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(summary));
    return r;
  }

  private static double[] toArray(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void checkDataFits(SearchConfig c, Dataset d) {
    NetworkConfig n = c.network();
    if (d.channels() != n.inputChannels() || d.height() != n.imageSize() || d.width() != n.imageSize() || d.classCount() > n.classes()) {
      throw new IllegalArgumentException("--dataset " + c.dataset() + ": images are " + d.channels() + "x" + d.height() + "x" + d.width()
          + " with " + d.classCount() + " classes, the network expects " + n.inputChannels() + "x" + n.imageSize() + "x" + n.imageSize()
          + " with " + n.classes());
    }
  }


  @Override
  public void close() {
    epochs.close();
    network.close();
  }

}
