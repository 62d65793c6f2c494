package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden runs through the command line: tiny searches (every method, every label mode, the
 * psi kinds and most flags) and a tiny retrain, compared with the files that the code of commit
 * 27f6b98 wrote for the same commands (java/src/test/resources/dev/pvll/golden, see its
 * README.md), bit for bit: log.jsonl, genotype.json, genotype.txt, the cell SVGs, summary.json or
 * result.json, and checkpoint.bin (its magic, every float array as a SHA-256 of its bytes, and its
 * JSON state). Left out, and only these: wall times (the "seconds" and "elapsed" fields, the
 * checkpoint's "elapsedSeconds") and the configuration's own format (config.json, and the
 * checkpoint's "config" member), which may be reorganised; what a configuration does is what
 * every other file checks. Also: a search stopped by that code in its search phase resumes with
 * --resume from its checkpoint and ends with the same files (so old checkpoints still load), and
 * {@code pvll score} on a search prints the same scores.
 *
 * <p>Each command runs as its own process with {@code PVLL_NO_AVX512=1}: the depthwise kernels'
 * AVX-512 versions round differently from their AVX2 ones, and the AVX2 ones run on every machine
 * the build targets. The goldens change only when behaviour is meant to change:
 * {@code -Dpvll.golden.write=DIR} writes a fresh set into DIR instead of comparing.
 */
@Timeout(600)
class GoldenRunsTest {
  @TempDir Path tmp;

  private static final String GOLDEN = "/dev/pvll/golden/";
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

  /** Golden search runs: name and the flags after {@code pvll search --preset tiny}. */
  static Stream<String> searches() {
    return SEARCHES.keySet().stream();
  }

  private static final Map<String, List<String>> SEARCHES = new LinkedHashMap<>();

  static {
    SEARCHES.put("search-pvll", List.of());
    SEARCHES.put("search-random", List.of("--method", "random"));
    SEARCHES.put("search-gdas", List.of("--method", "gdas"));
    SEARCHES.put("search-frozen", List.of("--label-mode", "frozen", "--predictor", "opcount", "--arch-lr", "0.1"));
    SEARCHES.put("search-snapshot", List.of("--label-mode", "snapshot", "--predictor", "mlp", "--no-weighted-loss"));
    SEARCHES.put("search-flags", List.of("--label-mode", "batch-stats", "--sampler", "uniform", "--tau", "0.5", "--memory", "5",
        "--psi-passes", "7", "--cutout", "4", "--lr", "0.03", "--lr-min", "0.002", "--seed", "3", "--warmup", "2", "--steps", "3",
        "--train-images", "96", "--val-images", "64", "--batch-size", "16", "--train-fraction", "0.6", "--cells", "4", "--channels", "4",
        "--arch-lr", "0.01"));
  }

  private static final List<String> SEARCH_FILES = List.of("log.jsonl", "genotype.json", "genotype.txt", "normal.svg", "reduction.svg",
      "summary.json", "checkpoint.bin");
  private static final List<String> TRAIN_FILES = List.of("log.jsonl", "genotype.json", "genotype.txt", "normal.svg", "reduction.svg",
      "result.json", "checkpoint.bin");

  @ParameterizedTest(name = "{0}")
  @MethodSource("searches")
  void searchWritesTheGoldenFiles(String name) throws Exception {
    Path out = tmp.resolve(name);
    List<String> args = new ArrayList<>(List.of("search", "--preset", "tiny", "--out", out.toString()));
    args.addAll(SEARCHES.get(name));
    pvll(args.toArray(new String[0]));
    check(name, out, SEARCH_FILES);
  }

  @Test
  void retrainWritesTheGoldenFiles() throws Exception {
    Path out = tmp.resolve("train");
    pvll("train", "--preset", "tiny", "--genotype", "PVLL_NAS", "--out", out.toString());
    check("train", out, TRAIN_FILES);
  }

  /** The run of search-pvll stopped after its ninth unit (two search steps) by that code: checkpoint.bin, log.jsonl, config.json. */
  @Test
  void aSearchStoppedByTheOldCodeResumesToTheGoldenFiles() throws Exception {
    Path out = tmp.resolve("search-pvll");
    Files.createDirectories(out);
    for (String f : List.of("checkpoint.bin", "log.jsonl", "config.json")) {
      try (InputStream in = resource("search-pvll-stopped/" + f)) {
        Files.copy(in, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    pvll("search", "--resume", out.toString());
    if (System.getProperty("pvll.golden.write") == null) check("search-pvll", out, SEARCH_FILES);
  }

  @Test
  void scoreOnASearchPrintsTheGoldenScores() throws Exception {
    Path out = tmp.resolve("search-pvll");
    pvll("search", "--preset", "tiny", "--out", out.toString());
    String printed = pvll("score", out.toString(), "--genotype", "PVLL_NAS", "--random", "2").replace(out.toString(), "RUN");
    String write = System.getProperty("pvll.golden.write");
    if (write != null) {
      Files.writeString(Path.of(write).resolve("score.txt"), printed);
      return;
    }
    assertEquals(text("score.txt"), printed, "pvll score output");
  }

  /** Runs {@code pvll args...} in a new JVM with the AVX2 kernels; returns its standard output, fails on a non-zero exit. */
  private String pvll(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), "dev.pvll.cli.Main"));
    cmd.addAll(List.of(args));
    Path stdout = tmp.resolve("stdout-" + System.nanoTime()), stderr = tmp.resolve("stderr-" + System.nanoTime());
    ProcessBuilder b = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    b.environment().put("PVLL_NO_AVX512", "1");
    int code = b.start().waitFor();
    assertEquals(0, code, "pvll " + String.join(" ", args) + " failed:\n" + Files.readString(stderr));
    return Files.readString(stdout);
  }

  // ---- comparison

  private void check(String name, Path out, List<String> files) throws IOException {
    String write = System.getProperty("pvll.golden.write");
    if (write != null) {
      Path dir = Path.of(write).resolve(name);
      Files.createDirectories(dir);
      for (String f : files) {
        if (f.equals("checkpoint.bin")) Files.writeString(dir.resolve("checkpoint.digest"), checkpointDigest(Files.readAllBytes(out.resolve(f))));
        else Files.copy(out.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      return;
    }
    for (String f : files) {
      Path actual = out.resolve(f);
      assertTrue(Files.exists(actual), name + ": " + f + " was not written");
      String golden = name + "/" + f;
      switch (f) {
        case "checkpoint.bin" -> assertEquals(text(name + "/checkpoint.digest"), checkpointDigest(Files.readAllBytes(actual)),
            name + ": checkpoint.bin");
        case "log.jsonl" -> assertEquals(logWithoutTimes(text(golden)), logWithoutTimes(Files.readString(actual)), name + ": log.jsonl");
        case "summary.json", "result.json" -> assertEquals(withoutTimes(text(golden)), withoutTimes(Files.readString(actual)), name + ": " + f);
        default -> assertEquals(text(golden), Files.readString(actual), name + ": " + f);
      }
    }
  }

  /** Every line without its wall-time fields, re-serialised (numbers keep their text, members their order). */
  private static String logWithoutTimes(String log) {
    StringBuilder sb = new StringBuilder();
    for (String line : log.split("\n")) {
      if (!line.isEmpty()) sb.append(withoutTimes(line)).append('\n');
    }
    return sb.toString();
  }

  private static String withoutTimes(String json) {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    o.remove("seconds");
    o.remove("elapsed");
    return GSON.toJson(o);
  }

  /**
   * A checkpoint as text: its magic, its JSON state without "elapsedSeconds" and "config", and
   * per float array its length and the SHA-256 of its big-endian bytes.
   */
  static String checkpointDigest(byte[] file) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(file))) {
      byte[] magic = new byte[8];
      in.readFully(magic);
      sb.append(new String(magic, StandardCharsets.US_ASCII)).append('\n');
      byte[] json = new byte[in.readInt()];
      in.readFully(json);
      JsonElement state = JsonParser.parseString(new String(json, StandardCharsets.UTF_8));
      state.getAsJsonObject().remove("elapsedSeconds");
      state.getAsJsonObject().remove("config");
      sb.append(GSON.toJson(state)).append('\n');
      int count = in.readInt();
      for (int k = 0; k < count; k++) {
        long length = in.readLong();
        byte[] bytes = new byte[Math.toIntExact(4 * length)];
        in.readFully(bytes);
        sb.append(length).append(' ').append(HexFormat.of().formatHex(sha256(bytes))).append('\n');
      }
      assertEquals(-1, in.read(), "bytes after the last array");
    }
    return sb.toString();
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = GoldenRunsTest.class.getResourceAsStream(GOLDEN + name);
    if (in == null) throw new AssertionError("golden file " + GOLDEN + name + " is missing");
    return in;
  }

  private static String text(String name) throws IOException {
    try (InputStream in = resource(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
