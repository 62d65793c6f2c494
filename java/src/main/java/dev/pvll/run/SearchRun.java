package dev.pvll.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.kernels.Collectives;
import dev.pvll.search.ArchEncoding;
import dev.pvll.search.Memory;
import dev.pvll.search.Predictor;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchState;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A search in its run folder: {@link SearchEngine}'s units one after the other, each followed by
 * its log line and an atomic checkpoint, so a run killed at any moment resumes exactly; at the end
 * genotype.json, genotype.txt and summary.json.
 *
 * <p>In a data-parallel job every rank runs one: the ranks first agree on the configuration and
 * the data ({@link RankAgreement#sameConfiguration}), after every unit on their state
 * ({@link RankAgreement#sameState}); only rank 0 has a run folder and writes (log, checkpoint,
 * outputs). A resumed job reads the checkpoint on rank 0 and sends it to the others, so the ranks
 * need no shared file system; it must have as many ranks as the job that wrote it.
 */
public final class SearchRun implements AutoCloseable {
  /** Receives a line after every unit (progress bars). */
  public interface Listener {
    void unitDone(String phase, int unit, int totalUnits, JsonObject logLine, double elapsedSeconds);
  }

  /** psi as a run saved it, with the memory it was fitted on (the report's landscape map). */
  public record SavedPsi(Predictor psi, Memory memory) {}

  /**
   * A checkpoint as every rank of a job holds it before resuming: its state and arrays, and the
   * folder it came from (rank 0's).
   */
  public record Checkpointed(Path dir, SearchState state, List<float[]> arrays) {
    /** The configuration the run resumes with (to load its data). */
    public SearchConfig config() {
      return state.config();
    }
  }

  private final RunFolder folder; // rank 0 only
  private final SearchEngine engine;
  private final Collectives collectives;
  private final Path dir;
  private final double elapsedBefore;

  private SearchRun(RunFolder folder, SearchEngine engine, Collectives collectives, Path dir, double elapsedBefore) {
    this.folder = folder;
    this.engine = engine;
    this.collectives = collectives;
    this.dir = dir;
    this.elapsedBefore = elapsedBefore;
  }

  /** A new search writing into dir (created; it must not hold another run). */
  public static SearchRun start(SearchConfig config, Dataset train, Path dir) throws IOException {
    return start(config, train, dir, Collectives.single());
  }

  /**
   * A new search as one rank of the job of collectives (its size must be config's
   * {@code parallel.ranks}); rank 0 creates dir and writes into it.
   *
   * @throws IllegalArgumentException on every rank when the ranks' configurations or data differ
   */
  public static SearchRun start(SearchConfig config, Dataset train, Path dir, Collectives collectives) throws IOException {
    RankAgreement.sameConfiguration(collectives, agreed(config, train));
    Object[] made = RankAgreement.asIo(() -> RankAgreement.together(collectives, () -> {
      RunFolder folder = collectives.isRoot() ? RunFolder.create(dir, "a search") : null;
      SearchEngine engine = new SearchEngine(config, train, collectives);
      try {
        if (folder != null) folder.begin(config);
      } catch (IOException | RuntimeException e) {
        engine.close();
        throw e;
      }
      return new Object[] {folder, engine};
    }));
    return new SearchRun((RunFolder) made[0], (SearchEngine) made[1], collectives, dir, 0);
  }

  /**
   * A new run of a prepared engine (e.g. {@link SearchEngine#onTrainedSupernet}) writing into dir,
   * in this process alone.
   */
  public static SearchRun start(SearchEngine engine, Path dir) throws IOException {
    RunFolder folder = RunFolder.create(dir, "a search");
    folder.begin(engine.config());
    return new SearchRun(folder, engine, Collectives.single(), dir, 0);
  }

  /** Continues the run whose checkpoint is in dir, on data loaded with its saved configuration. */
  public static SearchRun resume(Path dir, Dataset train) throws IOException {
    return resume(read(dir, Collectives.single(), null), train, Collectives.single());
  }

  /**
   * The checkpoint in dir as the ranks of collectives' job see it: rank 0 reads it and sends it to
   * the others. The job must have as many ranks as the one that wrote it.
   *
   * @param timeoutSeconds the collectives' timeout of the resuming job, recorded in place of the
   *     saved one (null: keep the saved one)
   * @throws IllegalArgumentException on every rank when the rank counts differ or rank 0 has no checkpoint
   */
  public static Checkpointed read(Path dir, Collectives collectives, Double timeoutSeconds) throws IOException {
    byte[] bytes = RankAgreement.asIo(() -> RankAgreement.fromRoot(collectives, () -> RunFolder.checkpointBytes(dir)));
    RunFolder.Saved saved = RunFolder.parseCheckpoint(bytes, dir);
    SearchState s = state(saved, dir);
    int ranks = s.config().parallel().ranks();
    if (ranks != collectives.size()) {
      throw new IllegalArgumentException(dir.resolve(RunFolder.CHECKPOINT) + " was written by a job of " + ranks + " rank(s), this job has "
          + collectives.size() + ": resume it with " + ranks + (ranks == 1 ? " process (no launcher)" : " ranks (mpirun -np " + ranks + ")")
          + "; the shards of every batch, and so every number of the run, depend on the count");
    }
    if (timeoutSeconds != null) s = withConfig(s, s.config().withParallel(s.config().parallel().withTimeoutSeconds(timeoutSeconds)));
    return new Checkpointed(dir, s, saved.arrays());
  }

  /** Continues the run of a checkpoint every rank holds ({@link #read}), on data loaded with its configuration. */
  public static SearchRun resume(Checkpointed c, Dataset train, Collectives collectives) throws IOException {
    SearchState s = c.state();
    RankAgreement.sameConfiguration(collectives, agreed(s.config(), train));
    Object[] made = RankAgreement.asIo(() -> RankAgreement.together(collectives, () -> {
      SearchEngine engine = restore(c.dir(), s, c.arrays(), train, collectives);
      try {
        RunFolder folder = collectives.isRoot() ? RunFolder.resume(c.dir(), s.logLines()) : null;
        return new Object[] {folder, engine};
      } catch (IOException | RuntimeException e) {
        engine.close();
        throw e;
      }
    }));
    return new SearchRun((RunFolder) made[0], (SearchEngine) made[1], collectives, c.dir(), s.elapsedSeconds());
  }

  /**
   * The search in dir as its last checkpoint left it, read only, in this process alone (a
   * data-parallel run's weights too): for scoring genotypes on its shared weights
   * ({@link SearchEngine#score}). Nothing in dir is written.
   */
  public static SearchEngine open(Path dir, Dataset train) throws IOException {
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    SearchState s = state(saved, dir);
    if (!s.config().parallel().isSingle()) s = withConfig(s, s.config().withParallel(s.config().parallel().withRanks(1)));
    return restore(dir, s, saved.arrays(), train, Collectives.single());
  }

  /** The configuration saved in dir's checkpoint (to load the right data before resuming). */
  public static SearchConfig savedConfig(Path dir) throws IOException {
    return savedState(dir).config();
  }

  /** psi and its memory as dir's checkpoint saved them. */
  public static SavedPsi savedPsi(Path dir) throws IOException {
    SearchState s = savedState(dir);
    Predictor psi = s.config().psi().predictor().create(new ArchEncoding(s.config().network().nodes(), Primitive.values().length), 0,
        s.config().psi().memoryCapacity());
    psi.setParameters(s.psi().parameters());
    return new SavedPsi(psi, Memory.fromState(s.memory()));
  }

  private static SearchState savedState(Path dir) throws IOException {
    return state(RunFolder.readCheckpoint(dir), dir);
  }

  /** What the ranks must agree on: the configuration and the data's fingerprint. */
  private static JsonElement agreed(SearchConfig config, Dataset train) {
    JsonObject o = new JsonObject();
    o.add("config", SearchConfigJson.write(config));
    o.addProperty("data", train.name() + ", " + train.size() + " images, CRC-32C " + train.fingerprint());
    return o;
  }

  /** The state of a checkpoint, its configuration read in either form ({@link SearchConfigJson}). */
  private static SearchState state(RunFolder.Saved saved, Path dir) throws IOException {
    JsonObject state = saved.state().deepCopy();
    String file = dir.resolve(RunFolder.CHECKPOINT).toString();
    try {
      state.add("config", SearchConfigJson.write(SearchConfigJson.read(state.get("config"), file)));
      return RunJson.COMPACT.fromJson(state, SearchState.class);
    } catch (RuntimeException e) {
      throw new IOException(e.getMessage().startsWith(file) ? e.getMessage() : file + ": " + e.getMessage(), e);
    }
  }

  private static SearchState withConfig(SearchState s, SearchConfig c) {
    return new SearchState(c, s.phase(), s.index(), s.epoch(), s.architect(), s.psi(), s.memory(), s.heldOutPredictions(),
        s.heldOutLabels(), s.bestLoss(), s.bestH(), s.warmupLabels(), s.logLines(), s.elapsedSeconds(), s.finalLoss(), s.snapshotEpoch(),
        s.evolution(), s.finalGenotype());
  }

  private static SearchEngine restore(Path dir, SearchState s, List<float[]> arrays, Dataset train, Collectives collectives)
      throws IOException {
    try {
      return SearchEngine.restore(s, arrays, train, collectives);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": " + e.getMessage(), e);
    }
  }

  public SearchEngine engine() {
    return engine;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Runs every remaining unit, checkpointing after each; then writes the genotype and the summary.
   * In a data-parallel job every rank calls it; the ranks check after each unit that their states
   * agree, and only rank 0 writes.
   */
  public SearchEngine.Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    runUntil(SearchEngine.Phase.DONE, listener);
    SearchEngine.Result r = engine.result(elapsedBefore + (System.nanoTime() - start) / 1e9);
    if (folder != null) {
      Genotype g = r.genotype();
      folder.writeText("genotype.json", g.toJson());
      folder.writeText("genotype.txt", g.toDartsString() + "\n");
      folder.writeJson("summary.json", summary(engine.config(), r));
    }
    return r;
  }

  /** Whether this rank writes the run folder (rank 0). */
  public boolean writes() {
    return folder != null;
  }

  /**
   * Runs units, checkpointing after each, until the next one would be of phase stop (or the run is
   * done); writes no outputs. A comparison trains its shared supernet this way, up to the labels.
   * In a data-parallel job every rank calls it; the ranks check after each unit that their states
   * agree, and only rank 0 writes.
   */
  public void runUntil(SearchEngine.Phase stop, Listener listener) throws IOException {
    long start = System.nanoTime();
    while (!engine.done() && engine.phase() != stop) {
      SearchEngine.Unit unit = engine.runUnit();
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      List<float[]> arrays = engine.arrays();
      if (collectives.size() > 1) {
        RankAgreement.sameState(collectives, RankAgreement.digest(engine.state(0, 0), arrays), "after unit " + unit.number()
            + " (" + unit.phase() + ")");
      }
      if (folder != null) {
        if (unit.logLine() != null) folder.appendLog(unit.logLine());
        folder.writeCheckpoint(engine.state(folder.logLines(), elapsed), arrays);
      }
      if (listener != null && collectives.isRoot()) {
        listener.unitDone(unit.phase(), unit.number(), engine.totalUnits(), unit.logLine(), elapsed);
      }
    }
  }

  private static JsonObject summary(SearchConfig c, SearchEngine.Result r) {
    JsonObject o = new JsonObject();
    o.addProperty("method", RunJson.text(c.method()));
    o.addProperty("label_mode", RunJson.text(c.labelMode()));
    o.addProperty("genotype", r.genotype().toDartsString());
    o.addProperty("final_val_loss", r.finalValidationLoss());
    o.addProperty("held_out_kendall_tau", r.heldOutTau());
    o.addProperty("held_out_kendall_tau_second_half", r.heldOutTauSecondHalf());
    o.addProperty("warmup_mean_val_loss", r.warmupMeanLoss());
    o.addProperty("warmup_best_val_loss", r.warmupBestLoss());
    o.addProperty("best_measured_val_loss", r.bestMeasuredLoss());
    o.addProperty("final_entropy", r.finalEntropy());
    o.addProperty("seconds", r.seconds());
    return o;
  }

  @Override
  public void close() {
    engine.close();
  }
}
