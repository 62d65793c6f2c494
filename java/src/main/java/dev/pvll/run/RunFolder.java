package dev.pvll.run;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A run's folder, and the one place that writes it: config.json, the JSONL log (one line per
 * unit, cut back to what the checkpoint counted when a run resumes), the atomic checkpoint, the
 * summary and the outputs. Searches and training runs alike.
 */
public final class RunFolder {
  public static final String CONFIG = "config.json";
  public static final String LOG = "log.jsonl";
  public static final String CHECKPOINT = "checkpoint.bin";

  /** A checkpoint's JSON state as an object, and its float arrays. */
  public record Saved(JsonObject state, List<float[]> arrays) {}

  private final Path dir;
  private long logLines;

  private RunFolder(Path dir, long logLines) {
    this.dir = dir;
    this.logLines = logLines;
  }

  /** A folder for a new run (created); refuses one that holds a checkpoint (what: "a search", "a training run"). */
  public static RunFolder create(Path dir, String what) throws IOException {
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(CHECKPOINT))) {
      throw new IllegalArgumentException(dir + " already holds " + what + " (" + CHECKPOINT + "): resume it or choose another folder");
    }
    return new RunFolder(dir, 0);
  }

  /** Writes config.json and starts an empty log. */
  public void begin(Object config) throws IOException {
    writeJson(CONFIG, config);
    Files.deleteIfExists(dir.resolve(LOG));
    Files.createFile(dir.resolve(LOG));
  }

  /**
   * The folder of a run resumed from its checkpoint, which counted logLines: lines written after
   * it (the unit that was cut off) are dropped.
   */
  public static RunFolder resume(Path dir, long logLines) throws IOException {
    Path log = dir.resolve(LOG);
    List<String> all = Files.exists(log) ? Files.readAllLines(log) : List.of();
    if (all.size() < logLines) throw new IOException(log + ": has " + all.size() + " lines, the checkpoint expects " + logLines);
    Files.write(log, all.subList(0, (int) logLines));
    return new RunFolder(dir, logLines);
  }

  /** The checkpoint in dir; an IllegalArgumentException when there is none, an IOException when it is corrupt. */
  public static Saved readCheckpoint(Path dir) throws IOException {
    Path file = dir.resolve(CHECKPOINT);
    if (!Files.exists(file)) throw new IllegalArgumentException(dir + ": no " + CHECKPOINT + " there");
    Checkpoint.Content c = Checkpoint.read(file);
    try {
      return new Saved(RunJson.object(c.json(), file.toString()), c.arrays());
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Whether dir holds a checkpoint. */
  public static boolean hasCheckpoint(Path dir) {
    return Files.exists(dir.resolve(CHECKPOINT));
  }

  public Path dir() {
    return dir;
  }

  /** Lines in the log. */
  public long logLines() {
    return logLines;
  }

  /** Appends one line to the log. */
  public void appendLog(JsonObject line) throws IOException {
    Files.writeString(dir.resolve(LOG), RunJson.COMPACT.toJson(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    logLines++;
  }

  /** Atomically replaces the checkpoint: state as JSON, then the arrays. */
  public void writeCheckpoint(Object state, List<float[]> arrays) throws IOException {
    Checkpoint.write(dir.resolve(CHECKPOINT), RunJson.COMPACT.toJson(state), arrays);
  }

  /** Writes value as indented JSON (summary.json, result.json). */
  public void writeJson(String name, Object value) throws IOException {
    writeText(name, RunJson.PRETTY.toJson(value));
  }

  /** Writes a text output (genotype.txt, genotype.json) in UTF-8. */
  public void writeText(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }
}
