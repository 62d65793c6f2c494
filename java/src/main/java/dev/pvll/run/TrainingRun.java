package dev.pvll.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.data.TrainTest;
import dev.pvll.space.Genotype;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import dev.pvll.train.TrainingSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A retraining in its run folder: config.json and the genotype first, then one epoch per unit,
 * each followed by its log line and an atomic checkpoint (resumable); at the end result.json.
 */
public final class TrainingRun implements AutoCloseable {
  /** Called after every epoch. */
  public interface Listener {
    void epochDone(int epoch, int epochs, JsonObject line, double elapsedSeconds);
  }

  public static final String RESULT = "result.json";

  private final RunFolder folder;
  private final GenotypeTrainer trainer;
  private final double elapsedBefore;

  private TrainingRun(RunFolder folder, GenotypeTrainer trainer, double elapsedBefore) {
    this.folder = folder;
    this.trainer = trainer;
    this.elapsedBefore = elapsedBefore;
  }

  /** A new run in dir (created; it must not hold another run). */
  public static TrainingRun start(TrainConfig config, Genotype genotype, TrainTest data, Path dir) throws IOException {
    RunFolder folder = RunFolder.create(dir, "a training run");
    GenotypeTrainer trainer = new GenotypeTrainer(config, genotype, data);
    folder.writeText("genotype.txt", genotype.toDartsString() + "\n");
    folder.writeText("genotype.json", genotype.toJson());
    folder.begin(config);
    return new TrainingRun(folder, trainer, 0);
  }

  /** Continues the run whose checkpoint is in dir, on data loaded with its saved configuration. */
  public static TrainingRun resume(Path dir, TrainTest data) throws IOException {
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    GenotypeTrainer.State s = state(saved, dir);
    GenotypeTrainer trainer;
    try {
      trainer = GenotypeTrainer.restore(s, saved.arrays(), data);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": " + e.getMessage(), e);
    }
    return new TrainingRun(RunFolder.resume(dir, s.logLines()), trainer, s.elapsedSeconds());
  }

  /**
   * The finished run in dir with its final weights, read only (for export): nothing in dir is
   * written. A run without result.json is refused, naming the command that finishes it.
   */
  public static GenotypeTrainer openFinished(Path dir, TrainTest data) throws IOException {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": no such folder");
    if (!RunFolder.hasCheckpoint(dir)) throw new IllegalArgumentException(dir + ": not a training run (no " + RunFolder.CHECKPOINT + ")");
    if (!isFinished(dir)) {
      throw new IllegalArgumentException(dir + ": the training run has not finished (no " + RESULT + "); finish it with pvll train --resume " + dir);
    }
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    GenotypeTrainer.State s = state(saved, dir);
    try {
      GenotypeTrainer t = GenotypeTrainer.restore(s, saved.arrays(), data);
      if (!t.done()) {
        t.close();
        throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": holds epoch " + s.epoch() + " of " + s.config().epochs() + " beside a result.json");
      }
      return t;
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": " + e.getMessage(), e);
    }
  }

  /** The configuration saved in dir's checkpoint (to load its data before resuming). */
  public static TrainConfig savedConfig(Path dir) throws IOException {
    return state(RunFolder.readCheckpoint(dir), dir).config();
  }

  private static GenotypeTrainer.State state(RunFolder.Saved saved, Path dir) throws IOException {
    try {
      return RunJson.COMPACT.fromJson(saved.state(), GenotypeTrainer.State.class);
    } catch (RuntimeException e) {
      throw new IOException(dir.resolve(RunFolder.CHECKPOINT) + ": not the checkpoint of a training run (" + e.getMessage() + ")", e);
    }
  }

  /** Whether dir holds a finished run (its result.json). */
  public static boolean isFinished(Path dir) {
    return Files.exists(dir.resolve(RESULT));
  }

  /** The result a finished run wrote to dir/result.json. */
  public static GenotypeTrainer.Result readResult(Path dir) throws IOException {
    Path f = dir.resolve(RESULT);
    try {
      JsonObject o = RunJson.object(Files.readString(f), f.toString());
      double[] perClass = RunJson.COMPACT.fromJson(o.get("per_class_accuracy"), double[].class);
      int[][] confusion = RunJson.COMPACT.fromJson(o.get("confusion"), int[][].class);
      return new GenotypeTrainer.Result(Genotype.parse(o.get("genotype").getAsString()), o.get("seed").getAsLong(),
          o.get("test_accuracy").getAsDouble(), perClass, confusion, o.get("parameters").getAsLong(), o.get("multiply_adds").getAsLong(),
          o.get("seconds").getAsDouble());
    } catch (RuntimeException e) {
      throw new IOException(f + ": not a result.json of pvll train (" + e.getMessage() + ")", e);
    }
  }

  /** The summary of a comparison of several runs: summary.md and summary.json in dir (created). */
  public static void writeComparison(Path dir, TrainingSummary summary) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("summary.md"), summary.markdown());
    Files.writeString(dir.resolve("summary.json"), summary.json());
  }

  public GenotypeTrainer trainer() {
    return trainer;
  }

  public Path dir() {
    return folder.dir();
  }

  /** Trains the remaining epochs, checkpointing after each, then evaluates and writes result.json. */
  public GenotypeTrainer.Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    while (!trainer.done()) {
      JsonObject line = trainer.trainEpoch();
      folder.appendLog(line);
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      folder.writeCheckpoint(trainer.state(folder.logLines(), elapsed), trainer.arrays());
      if (listener != null) listener.epochDone(trainer.epoch(), trainer.config().epochs(), line, elapsed);
    }
    GenotypeTrainer.Result r = trainer.result(elapsedBefore + (System.nanoTime() - start) / 1e9);
    folder.writeJson(RESULT, result(r));
    return r;
  }

  private JsonObject result(GenotypeTrainer.Result r) {
    JsonObject o = new JsonObject();
    o.addProperty("genotype", r.genotype().toDartsString());
    o.addProperty("seed", r.seed());
    o.addProperty("test_accuracy", r.testAccuracy());
    JsonArray per = new JsonArray();
    for (double a : r.perClassAccuracy()) per.add(a);
    o.add("per_class_accuracy", per);
    JsonArray classes = new JsonArray();
    for (String n : trainer.classNames()) classes.add(n);
    o.add("class_names", classes);
    o.add("confusion", RunJson.COMPACT.toJsonTree(r.confusion()));
    o.addProperty("parameters", r.parameters());
    o.addProperty("multiply_adds", r.multiplyAdds());
    o.addProperty("seconds", r.seconds());
    return o;
  }

  @Override
  public void close() {
    trainer.close();
  }
}
