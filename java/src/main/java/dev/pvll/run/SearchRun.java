package dev.pvll.run;

import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
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

/**
 * A search in its run folder: {@link SearchEngine}'s units one after the other, each followed by
 * its log line and an atomic checkpoint, so a run killed at any moment resumes exactly; at the end
 * genotype.json, genotype.txt and summary.json.
 */
public final class SearchRun implements AutoCloseable {
  /** Receives a line after every unit (progress bars). */
  public interface Listener {
    void unitDone(String phase, int unit, int totalUnits, JsonObject logLine, double elapsedSeconds);
  }

  /** psi as a run saved it, with the memory it was fitted on (the report's landscape map). */
  public record SavedPsi(Predictor psi, Memory memory) {}

  private final RunFolder folder;
  private final SearchEngine engine;
  private final double elapsedBefore;

  private SearchRun(RunFolder folder, SearchEngine engine, double elapsedBefore) {
    this.folder = folder;
    this.engine = engine;
    this.elapsedBefore = elapsedBefore;
  }

  /** A new search writing into dir (created; it must not hold another run). */
  public static SearchRun start(SearchConfig config, Dataset train, Path dir) throws IOException {
    RunFolder folder = RunFolder.create(dir, "a search");
    SearchEngine engine = new SearchEngine(config, train);
    folder.begin(config);
    return new SearchRun(folder, engine, 0);
  }

  /** A new run of a prepared engine (e.g. {@link SearchEngine#onTrainedSupernet}) writing into dir. */
  public static SearchRun start(SearchEngine engine, Path dir) throws IOException {
    RunFolder folder = RunFolder.create(dir, "a search");
    folder.begin(engine.config());
    return new SearchRun(folder, engine, 0);
  }

  /** Continues the run whose checkpoint is in dir, on data loaded with its saved configuration. */
  public static SearchRun resume(Path dir, Dataset train) throws IOException {
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    SearchState s = state(saved, dir);
    SearchEngine engine = restore(dir, s, saved, train);
    return new SearchRun(RunFolder.resume(dir, s.logLines()), engine, s.elapsedSeconds());
  }

  /**
   * The search in dir as its last checkpoint left it, read only: for scoring genotypes on its
   * shared weights ({@link SearchEngine#score}). Nothing in dir is written.
   */
  public static SearchEngine open(Path dir, Dataset train) throws IOException {
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    return restore(dir, state(saved, dir), saved, train);
  }

  /** The configuration saved in dir's checkpoint (to load the right data before resuming). */
  public static SearchConfig savedConfig(Path dir) throws IOException {
    return savedState(dir).config();
  }

  /** psi and its memory as dir's checkpoint saved them. */
  public static SavedPsi savedPsi(Path dir) throws IOException {
    SearchState s = savedState(dir);
    Predictor psi = s.config().psi().predictor().create(new ArchEncoding(s.config().network().nodes(), Primitive.values().length), 0);
    psi.setParameters(s.psi().parameters());
    return new SavedPsi(psi, Memory.fromState(s.memory()));
  }

  private static SearchState savedState(Path dir) throws IOException {
    return state(RunFolder.readCheckpoint(dir), dir);
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

  private static SearchEngine restore(Path dir, SearchState s, RunFolder.Saved saved, Dataset train) throws IOException {
    try {
      return SearchEngine.restore(s, saved.arrays(), train);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": " + e.getMessage(), e);
    }
  }

  public SearchEngine engine() {
    return engine;
  }

  public Path dir() {
    return folder.dir();
  }

  /** Runs every remaining unit, checkpointing after each; then writes the genotype and the summary. */
  public SearchEngine.Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    runUntil(SearchEngine.Phase.DONE, listener);
    SearchEngine.Result r = engine.result(elapsedBefore + (System.nanoTime() - start) / 1e9);
    Genotype g = r.genotype();
    folder.writeText("genotype.json", g.toJson());
    folder.writeText("genotype.txt", g.toDartsString() + "\n");
    folder.writeJson("summary.json", summary(engine.config(), r));
    return r;
  }

  /**
   * Runs units, checkpointing after each, until the next one would be of phase stop (or the run is
   * done); writes no outputs. A comparison trains its shared supernet this way, up to the labels.
   */
  public void runUntil(SearchEngine.Phase stop, Listener listener) throws IOException {
    long start = System.nanoTime();
    while (!engine.done() && engine.phase() != stop) {
      SearchEngine.Unit unit = engine.runUnit();
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      if (unit.logLine() != null) folder.appendLog(unit.logLine());
      folder.writeCheckpoint(engine.state(folder.logLines(), elapsed), engine.arrays());
      if (listener != null) listener.unitDone(unit.phase(), unit.number(), engine.totalUnits(), unit.logLine(), elapsed);
    }
  }

  private static JsonObject summary(SearchConfig c, SearchEngine.Result r) {
    JsonObject o = new JsonObject();
    o.addProperty("method", RunJson.text(c.method()));
    o.addProperty("label_mode", RunJson.text(c.labelMode()));
    o.addProperty("genotype", r.genotype().toDartsString());
    o.addProperty("final_val_loss", r.finalValidationLoss());
    o.addProperty("held_out_kendall_tau", r.heldOutTau());
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
