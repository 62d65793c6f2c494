package dev.pvll.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonElement;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.Collectives;
import dev.pvll.space.Genotype;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import dev.pvll.train.TrainingSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A retraining in its run folder: config.json and the genotype first, then one epoch per unit,
 * each followed by its log line and an atomic checkpoint (resumable); at the end result.json.
 *
 * <p>In a data-parallel job every rank runs one, as {@link SearchRun} does: the ranks agree on
 * the configuration and the data at start and on their state after every epoch, only rank 0 has
 * the folder and writes, and a resumed job gets rank 0's checkpoint and needs its rank count.
 */
public final class TrainingRun implements AutoCloseable {
  /** Called after every epoch. */
  public interface Listener {
    void epochDone(int epoch, int epochs, JsonObject line, double elapsedSeconds);
  }

  public static final String RESULT = "result.json";

  /** A checkpoint as every rank of a job holds it before resuming (its folder is rank 0's). */
  public record Checkpointed(Path dir, GenotypeTrainer.State state, List<float[]> arrays) {
    /** The configuration the run resumes with (to load its data). */
    public TrainConfig config() {
      return state.config();
    }
  }

  private final RunFolder folder; // rank 0 only
  private final GenotypeTrainer trainer;
  private final Collectives collectives;
  private final Path dir;
  private final double elapsedBefore;

  private TrainingRun(RunFolder folder, GenotypeTrainer trainer, Collectives collectives, Path dir, double elapsedBefore) {
    this.folder = folder;
    this.trainer = trainer;
    this.collectives = collectives;
    this.dir = dir;
    this.elapsedBefore = elapsedBefore;
  }

  /** A new run in dir (created; it must not hold another run). */
  public static TrainingRun start(TrainConfig config, Genotype genotype, TrainTest data, Path dir) throws IOException {
    return start(config, genotype, data, dir, Collectives.single());
  }

  /**
   * A new run as one rank of the job of collectives (its size must be config's
   * {@code parallel.ranks}); rank 0 creates dir and writes into it.
   */
  public static TrainingRun start(TrainConfig config, Genotype genotype, TrainTest data, Path dir, Collectives collectives)
      throws IOException {
    RankAgreement.sameConfiguration(collectives, agreed(config, genotype, data));
    Object[] made = RankAgreement.asIo(() -> RankAgreement.together(collectives, () -> {
      RunFolder folder = collectives.isRoot() ? RunFolder.create(dir, "a training run") : null;
      GenotypeTrainer trainer = new GenotypeTrainer(config, genotype, data, collectives);
      try {
        if (folder != null) {
          folder.writeText("genotype.txt", genotype.toDartsString() + "\n");
          folder.writeText("genotype.json", genotype.toJson());
          folder.begin(config);
        }
      } catch (IOException | RuntimeException e) {
        trainer.close();
        throw e;
      }
      return new Object[] {folder, trainer};
    }));
    return new TrainingRun((RunFolder) made[0], (GenotypeTrainer) made[1], collectives, dir, 0);
  }

  /** Continues the run whose checkpoint is in dir, on data loaded with its saved configuration. */
  public static TrainingRun resume(Path dir, TrainTest data) throws IOException {
    return resume(read(dir, Collectives.single(), null), data, Collectives.single());
  }

  /**
   * The checkpoint in dir as the ranks of collectives' job see it (rank 0 reads it and sends it);
   * the job must have as many ranks as the one that wrote it.
   *
   * @param timeoutSeconds the resuming job's collectives timeout, recorded in place of the saved one (null: keep it)
   */
  public static Checkpointed read(Path dir, Collectives collectives, Double timeoutSeconds) throws IOException {
    byte[] bytes = RankAgreement.asIo(() -> RankAgreement.fromRoot(collectives, () -> RunFolder.checkpointBytes(dir)));
    RunFolder.Saved saved = RunFolder.parseCheckpoint(bytes, dir);
    GenotypeTrainer.State s = state(saved, dir);
    int ranks = s.config().parallel().ranks();
    if (ranks != collectives.size()) {
      throw new IllegalArgumentException(dir.resolve(RunFolder.CHECKPOINT) + " was written by a job of " + ranks + " rank(s), this job has "
          + collectives.size() + ": resume it with " + ranks + (ranks == 1 ? " process (no launcher)" : " ranks (mpirun -np " + ranks + ")"));
    }
    if (timeoutSeconds != null) {
      s = new GenotypeTrainer.State(s.config().withParallel(s.config().parallel().withTimeoutSeconds(timeoutSeconds)), s.genotype(),
          s.epoch(), s.logLines(), s.elapsedSeconds(), s.rngState());
    }
    return new Checkpointed(dir, s, saved.arrays());
  }

  /** Continues the run of a checkpoint every rank holds ({@link #read}), on data loaded with its configuration. */
  public static TrainingRun resume(Checkpointed c, TrainTest data, Collectives collectives) throws IOException {
    GenotypeTrainer.State s = c.state();
    RankAgreement.sameConfiguration(collectives, agreed(s.config(), Genotype.parse(s.genotype()), data));
    Object[] made = RankAgreement.asIo(() -> RankAgreement.together(collectives, () -> {
      GenotypeTrainer trainer;
      try {
        trainer = GenotypeTrainer.restore(s, c.arrays(), data, collectives);
      } catch (IllegalArgumentException e) {
        throw new IOException(c.dir().resolve(RunFolder.CHECKPOINT) + ": " + e.getMessage(), e);
      }
      try {
        return new Object[] {collectives.isRoot() ? RunFolder.resume(c.dir(), s.logLines()) : null, trainer};
      } catch (IOException | RuntimeException e) {
        trainer.close();
        throw e;
      }
    }));
    return new TrainingRun((RunFolder) made[0], (GenotypeTrainer) made[1], collectives, c.dir(), s.elapsedSeconds());
  }

  /** What the ranks must agree on: the configuration, the genotype and the data's fingerprints. */
  private static JsonElement agreed(TrainConfig config, Genotype genotype, TrainTest data) {
    JsonObject o = new JsonObject();
    o.add("config", RunJson.COMPACT.toJsonTree(config));
    o.addProperty("genotype", genotype.toDartsString());
    o.addProperty("data", data.train().name() + ", " + data.train().size() + " images, CRC-32C " + data.train().fingerprint() + "; "
        + data.test().name() + ", " + data.test().size() + " images, CRC-32C " + data.test().fingerprint());
    return o;
  }

  /**
   * The finished run in dir with its final weights, read only (for export), in this process alone
   * (a data-parallel run's too): nothing in dir is written. A run without result.json is refused,
   * naming the command that finishes it.
   */
  public static GenotypeTrainer openFinished(Path dir, TrainTest data) throws IOException {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": no such folder");
    if (!RunFolder.hasCheckpoint(dir)) throw new IllegalArgumentException(dir + ": not a training run (no " + RunFolder.CHECKPOINT + ")");
    if (!isFinished(dir)) {
      throw new IllegalArgumentException(dir + ": the training run has not finished (no " + RESULT + "); finish it with pvll train --resume " + dir);
    }
    RunFolder.Saved saved = RunFolder.readCheckpoint(dir);
    GenotypeTrainer.State s = state(saved, dir);
    if (!s.config().parallel().isSingle()) { // a data-parallel run's weights, read by this process alone
      s = new GenotypeTrainer.State(s.config().withParallel(s.config().parallel().withRanks(1)), s.genotype(), s.epoch(), s.logLines(),
          s.elapsedSeconds(), s.rngState());
    }
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

  /** The text of dir/result.json. */
  public static String readResultJson(Path dir) throws IOException {
    return Files.readString(dir.resolve(RESULT));
  }

  /** The result a finished run wrote to dir/result.json. */
  public static GenotypeTrainer.Result readResult(Path dir) throws IOException {
    Path f = dir.resolve(RESULT);
    return parseResult(Files.readString(f), f.toString());
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
    return dir;
  }

  /**
   * Trains the remaining epochs, checkpointing after each, then evaluates and writes result.json.
   * In a data-parallel job every rank calls it; the ranks check after each epoch that their
   * states agree, and only rank 0 writes (and calls listener).
   */
  public GenotypeTrainer.Result run(Listener listener) throws IOException {
    long start = System.nanoTime();
    while (!trainer.done()) {
      JsonObject line = trainer.trainEpoch();
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      List<float[]> arrays = trainer.arrays();
      if (collectives.size() > 1) {
        RankAgreement.sameState(collectives, RankAgreement.digest(trainer.state(0, 0), arrays), "after epoch " + trainer.epoch());
      }
      if (folder != null) {
        folder.appendLog(line);
        folder.writeCheckpoint(trainer.state(folder.logLines(), elapsed), arrays);
      }
      if (listener != null && collectives.isRoot()) listener.epochDone(trainer.epoch(), trainer.config().epochs(), line, elapsed);
    }
    GenotypeTrainer.Result r = trainer.result(elapsedBefore + (System.nanoTime() - start) / 1e9);
    if (folder != null) folder.writeJson(RESULT, result(r));
    return r;
  }

  /** The JSON of a result as result.json holds it (for ranks that send their runs' results to rank 0). */
  public JsonObject resultJson(GenotypeTrainer.Result r) {
    return result(r);
  }

  /** A result from its JSON ({@link #resultJson}, result.json); where names the source in messages. */
  public static GenotypeTrainer.Result parseResult(String json, String where) throws IOException {
    try {
      JsonObject o = RunJson.object(json, where);
      double[] perClass = RunJson.COMPACT.fromJson(o.get("per_class_accuracy"), double[].class);
      int[][] confusion = RunJson.COMPACT.fromJson(o.get("confusion"), int[][].class);
      return new GenotypeTrainer.Result(Genotype.parse(o.get("genotype").getAsString()), o.get("seed").getAsLong(),
          o.get("test_accuracy").getAsDouble(), perClass, confusion, o.get("parameters").getAsLong(), o.get("multiply_adds").getAsLong(),
          o.get("seconds").getAsDouble());
    } catch (RuntimeException e) {
      throw new IOException(where + ": not a result.json of pvll train (" + e.getMessage() + ")", e);
    }
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
