package dev.pvll.search;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.kernels.Collectives;
import dev.pvll.nn.Mode;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The search (METHOD.md, Algorithm 1) as a sequence of units, each small enough to checkpoint
 * after (the caller does: {@code dev.pvll.run.SearchRun}):
 *
 * <ol>
 *   <li>warm-up: N architectures sampled around A ~ 0 (effectively uniform), one supernet epoch each;
 *   <li>memory: one more epoch and a label for each of the same N, into M;
 *   <li>psi's warm-up fit on M;
 *   <li>T search steps, as the method's {@link SearchStrategy} decides (PVLL: sample around A,
 *       label, score with psi, refit psi, one step of A);
 *   <li>final: the genotype found, trained and labelled like any architecture.
 * </ol>
 *
 * A label is one more supernet epoch with the architecture and its validation loss, as the
 * {@link LabelMode} says ({@link SupernetEpochs}). GDAS has no warm-up: its steps are its epochs.
 *
 * <p>Data-parallel: every rank of the job runs its own engine with the same configuration and
 * seed. Each supernet step and validation batch is shared across the ranks (the step engine sums
 * gradients, losses and batch-norm statistics), so every rank measures the same labels; sampling,
 * psi's refit and A's step then run identically on every rank from those identical inputs, which
 * costs no broadcast on the critical path and leaves rank 0 no extra work (the run folder checks
 * that the ranks' states agree). Only the caller decides who writes.
 */
public final class SearchEngine implements AutoCloseable {
  /** Where the run stands: the phase of the next unit. GDAS names the steps of a method without warm-up (kept: checkpoints hold it). */
  public enum Phase { WARMUP_TRAIN, WARMUP_LABEL, PSI_WARMUP, SEARCH, GDAS, FINAL, DONE }

  /** A unit done: its phase for progress, its 1-based number, and its log line (null for psi's warm-up). */
  public record Unit(String phase, int number, JsonObject logLine) {}

  /**
   * What a finished search produced. heldOutTau is psi's held-out Kendall tau over all search
   * steps, heldOutTauSecondHalf over the second half of them ({@link KendallTau#secondHalf});
   * both NaN without psi.
   */
  public record Result(Genotype genotype, double finalValidationLoss, double heldOutTau, double heldOutTauSecondHalf,
      double warmupMeanLoss, double warmupBestLoss, double bestMeasuredLoss, double finalEntropy, double seconds) {}

  /** A genotype's validation loss and accuracy on the shared weights. */
  public record ValidationScore(double loss, double accuracy) {}

  /** First draw counter of frozen labels' per-batch warm-up samples (above any label's counter). */
  private static final long PER_BATCH_DRAWS = 1L << 40;

  private final SearchConfig config;
  private final SupernetEpochs supernet;
  private final Architect architect;
  private final ProxyLandscape landscape;
  private final LogLines log;
  private final BestMeasured best = new BestMeasured();
  private final SearchStrategy strategy;
  private final List<Double> warmupLabels = new ArrayList<>();
  private Phase phase;
  private int index;
  private Double finalLoss;
  /** The genotype the final unit measured and chose (null before it). */
  private Genotype finalGenotype;

  /** A new search of config on train (split into training and validation halves), in this process alone. */
  public SearchEngine(SearchConfig config, Dataset train) {
    this(config, train, Collectives.single());
  }

  /**
   * A new search as one rank of the data-parallel job of collectives, whose size must be the
   * configuration's {@code parallel.ranks}.
   */
  public SearchEngine(SearchConfig config, Dataset train, Collectives collectives) {
    if (config.parallel().ranks() != collectives.size()) {
      throw new IllegalArgumentException("the configuration is for a job of " + config.parallel().ranks() + " rank(s), this job has "
          + collectives.size());
    }
    this.config = config;
    supernet = new SupernetEpochs(config, train, collectives);
    ArchEncoding encoding = new ArchEncoding(config.network().nodes(), Primitive.values().length);
    SearchConfig.ArchitectureStep a = config.architecture();
    Architect.Sampler sampler = config.method() == Method.RANDOM ? Architect.Sampler.UNIFORM : a.sampler();
    architect = new Architect(encoding, Architect.Options.defaults()
        .withAdam(Adam.Options.of(a.lr(), 0.5, 0.999, a.weightDecay())).withTau(a.tau()).withSampler(sampler).withDraw(a.draw()),
        config.seed());
    landscape = new ProxyLandscape(config.psi(), encoding, config.seed());
    log = new LogLines(supernet, architect, landscape);
    strategy = switch (config.method()) {
      case PVLL -> new PvllStrategy(config, architect, landscape, this::label);
      case RANDOM -> new RandomStrategy(config, architect, best, this::label);
      case GDAS -> new GdasStrategy(config, architect, supernet, log);
      case EVOLUTION -> new EvolutionStrategy(config, encoding, best, this::label);
    };
    phase = !strategy.warmsUp() ? Phase.GDAS : config.schedule().warmup() > 0 ? Phase.WARMUP_TRAIN : Phase.PSI_WARMUP;
  }

  /** Whether every unit has run. */
  public boolean done() {
    return phase == Phase.DONE;
  }

  /** The phase of the next unit. */
  public Phase phase() {
    return phase;
  }

  /**
   * A search of config that starts where {@code trained}'s warm-up training ended, on its shared
   * weights: the fixed landscape of a comparison, where several methods label architectures on the
   * same frozen supernet. Both must use frozen labels and agree on everything the supernet's
   * training depends on (data, network, warm-up, learning rates, seed); trained must have finished
   * its warm-up training.
   */
  public static SearchEngine onTrainedSupernet(SearchConfig config, Dataset train, SearchEngine trained) {
    SearchConfig t = trained.config;
    if (!config.frozenLabels() || !t.frozenLabels()) throw new IllegalArgumentException("a shared supernet needs frozen labels");
    if (!config.data().equals(t.data()) || !config.network().equals(t.network()) || config.schedule().warmup() != t.schedule().warmup()
        || config.schedule().lrMax() != t.schedule().lrMax() || config.schedule().lrMin() != t.schedule().lrMin() || config.seed() != t.seed()) {
      throw new IllegalArgumentException("the shared supernet was trained with another data, network, warm-up, learning rate or seed");
    }
    if (trained.phase == Phase.WARMUP_TRAIN) throw new IllegalArgumentException("the shared supernet has not finished its warm-up training");
    SearchEngine e = new SearchEngine(config, train);
    float[][] weights = trained.supernet.weightState();
    e.supernet.restore(trained.supernet.epoch(), weights, null, -1);
    e.phase = Phase.WARMUP_LABEL;
    e.index = 0;
    return e;
  }

  /** Runs the next unit and moves on. */
  public Unit runUnit() {
    long t0 = System.nanoTime();
    int number = unitNumber() + 1, n = config.schedule().warmup();
    String name = phase == Phase.PSI_WARMUP ? "psi_warmup" : null;
    JsonObject line = null;
    switch (phase) {
      case WARMUP_TRAIN -> { // METHOD.md step 1 (frozen labels: both passes, one architecture per batch)
        line = config.frozenLabels()
            ? log.unit("warmup_train", index, null, supernet.trainPerBatch(perBatchDraws(supernet.epoch())), null)
            : trainOnly("warmup_train", index, architect.sampleAt(index % n));
        advance(warmupTrainUnits(), Phase.WARMUP_LABEL);
      }
      case WARMUP_LABEL -> { // step 2: the same N again, labelled into M
        Architecture a = architect.sampleAt(index);
        SamplingStrategy.Labelled l = label("warmup", index, a);
        strategy.warmupLabelled(a, l.loss());
        warmupLabels.add(l.loss());
        line = l.line();
        advance(n, Phase.PSI_WARMUP);
      }
      case PSI_WARMUP -> { // step 3
        strategy.warmupDone();
        advance(0, strategy.steps() > 0 ? Phase.SEARCH : Phase.FINAL);
      }
      case SEARCH, GDAS -> { // step 4
        line = strategy.step(index);
        advance(strategy.steps(), Phase.FINAL);
      }
      case FINAL -> { // step 5
        line = finalUnit();
        advance(1, Phase.DONE);
      }
      case DONE -> throw new IllegalStateException("the search is done");
    }
    if (line != null) line.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
    return new Unit(line != null ? line.get("phase").getAsString() : name, number, line);
  }

  /** The next unit of this phase while fewer than count have run, else the first of next. */
  private void advance(int count, Phase next) {
    if (index + 1 < count) {
      index++;
    } else {
      phase = next;
      index = 0;
    }
  }

  /** The frozen warm-up's per-batch samples of epoch e: fresh draws, far from the warm-up's and the search's. */
  private java.util.function.IntFunction<SampledArchitecture> perBatchDraws(int e) {
    return b -> architect.sampleAt(PER_BATCH_DRAWS + 1_000_000L * e + b).onSupernet();
  }

  private JsonObject trainOnly(String phaseName, int step, Architecture a) {
    return log.unit(phaseName, step, a, supernet.train(a.onSupernet()), null);
  }

  /** A label: the label epoch, validation, the label into M and the best measured; its log line. */
  SamplingStrategy.Labelled label(String phaseName, int step, Architecture a) {
    SupernetEpochs.Stats tr = supernet.labelEpoch(a.onSupernet());
    SupernetEpochs.Stats val = supernet.validate(a.onSupernet());
    JsonObject line = log.unit(phaseName, step, a, tr, val);
    landscape.add(a, val.loss());
    best.offer(a, val.loss());
    return new SamplingStrategy.Labelled(val.loss(), line);
  }

  /**
   * The final genotype, trained and labelled as the label mode says. METHOD.md's rule: the
   * strategy's genotype (from A; random search and evolution: the best measured). The ranked rule:
   * each finalist ({@link #finalists}) measured again, the lowest label wins; the line lists them.
   */
  private JsonObject finalUnit() {
    List<Genotype> candidates = config.finalGenotype().rule() == FinalRule.RANKED ? finalists() : List.of(strategy.genotype());
    JsonArray measured = new JsonArray();
    SupernetEpochs.Stats bestTrain = null, bestVal = null;
    for (Genotype g : candidates) {
      SampledArchitecture arch = SampledArchitecture.of(g, config.network());
      SupernetEpochs.Stats tr = supernet.labelEpoch(arch), val = supernet.validate(arch);
      JsonObject m = new JsonObject();
      m.addProperty("genotype", g.toDartsString());
      m.addProperty("val_loss", val.loss());
      measured.add(m);
      if (bestVal == null || val.loss() < bestVal.loss()) {
        finalGenotype = g;
        bestTrain = tr;
        bestVal = val;
      }
    }
    finalLoss = bestVal.loss();
    JsonObject line = log.finalUnit(finalGenotype, bestTrain, bestVal);
    if (candidates.size() > 1) line.add("finalists", measured);
    return line;
  }

  /**
   * The ranked rule's finalists: the memory's best measured genotypes by label and the
   * strategy's own candidates (PVLL: drawn from A, by psi), {@code finalists} of each, distinct.
   */
  private List<Genotype> finalists() {
    SearchConfig.FinalGenotype f = config.finalGenotype();
    Map<Genotype, Double> measured = landscape.measuredGenotypes();
    Set<Genotype> out = new LinkedHashSet<>(ProxyLandscape.best(measured, f.finalists()));
    strategy.finalCandidates(f.candidates(), f.candidates()).stream().filter(g -> !measured.containsKey(g)).limit(f.finalists())
        .forEach(out::add);
    return List.copyOf(out);
  }

  /** Warm-up units that only train: the first pass over the N warm-up architectures; with frozen labels the second too. */
  private int warmupTrainUnits() {
    return config.frozenLabels() ? 2 * config.schedule().warmup() : config.schedule().warmup();
  }

  /** Units before the search steps. */
  private int unitsBeforeSteps() {
    return strategy.warmsUp() ? warmupTrainUnits() + config.schedule().warmup() + 1 : 0;
  }

  /** Units of the whole run (for progress). */
  public int totalUnits() {
    return unitsBeforeSteps() + strategy.steps() + 1;
  }

  private int unitNumber() {
    return switch (phase) {
      case WARMUP_TRAIN -> index;
      case WARMUP_LABEL -> warmupTrainUnits() + index;
      case PSI_WARMUP -> unitsBeforeSteps() - 1;
      case SEARCH, GDAS -> unitsBeforeSteps() + index;
      case FINAL -> unitsBeforeSteps() + strategy.steps();
      case DONE -> totalUnits();
    };
  }

  /** The genotype found so far: the final unit's choice once it ran, else the strategy's (the DARTS rule on A; random search: on the best measured sample's H). */
  public Genotype currentGenotype() {
    return finalGenotype != null ? finalGenotype : strategy.genotype();
  }

  /**
   * A genotype's validation loss on the current shared weights, each validation batch normalised
   * by its own statistics (running statistics describe only the architectures trained last). With
   * label mode frozen this is exactly the label the run gives it. The weights are not changed.
   */
  public ValidationScore score(Genotype g) {
    SupernetEpochs.Stats v = supernet.validate(SampledArchitecture.of(g, config.network()), Mode.EVAL_BATCH_STATS);
    return new ValidationScore(v.loss(), v.accuracy());
  }

  /** What the run produced, after seconds of wall time. */
  public Result result(double seconds) {
    double warmMean = warmupLabels.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double warmBest = warmupLabels.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    return new Result(currentGenotype(), finalLoss == null ? Double.NaN : finalLoss, landscape.heldOutTau(),
        landscape.heldOutTauSecondHalf(), warmMean, warmBest,
        best.loss(), architect.meanSamplingEntropy(), seconds);
  }

  public SearchConfig config() {
    return config;
  }

  /** The supernet being trained (package-private: tests poison it to exercise the NaN guard). */
  SearchNetwork network() {
    return supernet.network();
  }

  /** The state a checkpoint records besides {@link #arrays()}; logLines and elapsedSeconds are the run folder's. */
  public SearchState state(long logLines, double elapsedSeconds) {
    float[][] snapshot = supernet.snapshot();
    return new SearchState(config, phase, index, supernet.epoch(), architect.state(), landscape.trainer().state(),
        landscape.memory().state(), landscape.heldOutPredictions(), landscape.heldOutLabels(), best.loss(), best.h(),
        warmupLabels.stream().mapToDouble(Double::doubleValue).toArray(), logLines, elapsedSeconds, finalLoss,
        snapshot == null ? null : supernet.snapshotEpoch(), strategy.evolutionState(),
        finalGenotype == null || config.finalGenotype().rule() != FinalRule.RANKED ? null : finalGenotype.toDartsString());
  }

  /** The float arrays of a checkpoint: parameters, momentum, BN buffers, then the label-mode snapshot's three if taken. */
  public List<float[]> arrays() {
    List<float[]> arrays = new ArrayList<>(List.of(supernet.weightState()));
    if (supernet.snapshot() != null) arrays.addAll(List.of(supernet.snapshot()));
    return arrays;
  }

  /** The search a checkpoint recorded, on data loaded with its configuration; throws if the arrays do not fit its network. */
  public static SearchEngine restore(SearchState s, List<float[]> arrays, Dataset train) {
    return restore(s, arrays, train, Collectives.single());
  }

  /** The same as one rank of the job of collectives (its size must be the configuration's {@code parallel.ranks}). */
  public static SearchEngine restore(SearchState s, List<float[]> arrays, Dataset train, Collectives collectives) {
    SearchEngine e = new SearchEngine(s.config(), train, collectives);
    long[] sizes = e.supernet.stateSizes();
    if (arrays.size() != (s.snapshotEpoch() == null ? 3 : 6) || arrays.get(0).length != sizes[0] || arrays.get(2).length != sizes[1]) {
      e.close();
      throw new IllegalArgumentException("weights do not fit the network of its configuration");
    }
    float[][] snapshot = s.snapshotEpoch() == null ? null : new float[][] {arrays.get(3), arrays.get(4), arrays.get(5)};
    e.supernet.restore(s.epoch(), new float[][] {arrays.get(0), arrays.get(1), arrays.get(2)}, snapshot,
        s.snapshotEpoch() == null ? -1 : s.snapshotEpoch());
    e.phase = s.phase();
    e.index = s.index();
    e.architect.restore(s.architect());
    e.landscape.restore(s.psi(), s.memory(), s.heldOutPredictions(), s.heldOutLabels());
    for (double v : s.warmupLabels()) e.warmupLabels.add(v);
    e.best.restore(s.bestLoss(), s.bestH());
    e.finalLoss = s.finalLoss();
    if (s.evolution() != null) e.strategy.restoreEvolution(s.evolution());
    if (s.finalGenotype() != null) e.finalGenotype = Genotype.parse(s.finalGenotype());
    return e;
  }

  @Override
  public void close() {
    supernet.close();
  }
}
