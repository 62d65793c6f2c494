package dev.pvll.space;

import static dev.pvll.space.Genotype.pairs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Published genotypes, lookup by name, and loading a genotype from a file, text or name. */
public final class Genotypes {
  private Genotypes() {}

  /** DARTS first order (Liu et al. 2019), {@code DARTS_V1} in quark0/darts genotypes.py. */
  public static final Genotype DARTS_V1 =
      Genotype.of(
          pairs(
              "sep_conv_3x3", 1, "sep_conv_3x3", 0, "skip_connect", 0, "sep_conv_3x3", 1,
              "skip_connect", 0, "sep_conv_3x3", 1, "sep_conv_3x3", 0, "skip_connect", 2),
          pairs(
              "max_pool_3x3", 0, "max_pool_3x3", 1, "skip_connect", 2, "max_pool_3x3", 0,
              "max_pool_3x3", 0, "skip_connect", 2, "skip_connect", 2, "avg_pool_3x3", 0));

  /** DARTS second order, {@code DARTS_V2} in quark0/darts genotypes.py (there also {@code DARTS}). */
  public static final Genotype DARTS_V2 =
      Genotype.of(
          pairs(
              "sep_conv_3x3", 0, "sep_conv_3x3", 1, "sep_conv_3x3", 0, "sep_conv_3x3", 1,
              "sep_conv_3x3", 1, "skip_connect", 0, "skip_connect", 0, "dil_conv_3x3", 2),
          pairs(
              "max_pool_3x3", 0, "max_pool_3x3", 1, "skip_connect", 2, "max_pool_3x3", 1,
              "max_pool_3x3", 0, "skip_connect", 2, "skip_connect", 2, "max_pool_3x3", 1));

  /** The genotype the PVLL-NAS authors report (about 3.5M parameters, 97.30% on CIFAR-10). */
  public static final Genotype PVLL_NAS =
      Genotype.of(
          pairs(
              "sep_conv_5x5", 0, "dil_conv_3x3", 1, "sep_conv_3x3", 1, "sep_conv_5x5", 0,
              "avg_pool_3x3", 3, "dil_conv_5x5", 1, "sep_conv_3x3", 1, "max_pool_3x3", 0),
          pairs(
              "sep_conv_5x5", 1, "max_pool_3x3", 0, "max_pool_3x3", 1, "dil_conv_3x3", 2,
              "dil_conv_5x5", 2, "sep_conv_5x5", 0, "dil_conv_3x3", 1, "skip_connect", 2));

  private static final Map<String, Genotype> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("DARTS_V1", DARTS_V1);
    BY_NAME.put("DARTS_V2", DARTS_V2);
    BY_NAME.put("PVLL_NAS", PVLL_NAS);
  }

  /** The built-in names: DARTS_V1, DARTS_V2, PVLL_NAS. */
  public static Set<String> names() {
    return Collections.unmodifiableSet(BY_NAME.keySet());
  }

  /**
   * The built-in genotype with this name, ignoring case; '-' counts as '_', and {@code DARTS}
   * means DARTS_V2 as in quark0/darts.
   *
   * @throws IllegalArgumentException naming the unknown name and listing the known ones
   */
  public static Genotype byName(String name) {
    Genotype g = find(name);
    if (g == null) {
      throw new IllegalArgumentException(
          "unknown genotype name '" + name + "'; built-in genotypes: " + String.join(", ", names()));
    }
    return g;
  }

  private static Genotype find(String name) {
    if (name == null) return null;
    String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    if (key.equals("DARTS")) key = "DARTS_V2";
    return BY_NAME.get(key);
  }

  /**
   * A genotype from whatever the user gave: the path of a JSON file ({@code genotype.json}) or of
   * a file holding the DARTS text, the DARTS text or JSON itself, or a built-in name.
   *
   * @throws GenotypeFormatException if the file or text is malformed (naming the file)
   * @throws IllegalArgumentException if the argument is none of these, or the file cannot be read
   */
  public static Genotype load(String fileOrNameOrText) {
    if (fileOrNameOrText == null || fileOrNameOrText.isBlank()) {
      throw new IllegalArgumentException("genotype: expected a file, DARTS text or a name, got nothing");
    }
    String arg = fileOrNameOrText.trim();
    Path file = asExistingFile(arg);
    if (file != null) return read(file);
    if (arg.startsWith("{") || arg.startsWith("[")) return GenotypeJson.parse(arg, null);
    if (arg.contains("(")) return GenotypeText.parse(arg, null);
    Genotype g = find(arg);
    if (g != null) return g;
    if (arg.contains("/") || arg.contains("\\") || arg.contains(".")) {
      throw new IllegalArgumentException("genotype file not found: " + arg);
    }
    throw new IllegalArgumentException(
        "genotype '" + arg + "' is not a file, DARTS text or built-in name; built-in genotypes: "
            + String.join(", ", names()));
  }

  /** Reads a genotype file: JSON when it starts with '{' or '[', the DARTS text otherwise. */
  public static Genotype read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read genotype file " + file + ": " + e, e);
    }
    String trimmed = text.strip();
    String source = file.toString();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) return GenotypeJson.parse(text, source);
    return GenotypeText.parse(text, source);
  }

  /** Writes the JSON form to {@code file}, creating parent folders. */
  public static void writeJson(Genotype genotype, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    Files.writeString(file, genotype.toJson() + "\n", StandardCharsets.UTF_8);
  }

  private static Path asExistingFile(String arg) {
    if (arg.length() > 4096 || arg.indexOf('\n') >= 0) return null;
    try {
      Path p = Path.of(arg);
      return Files.isRegularFile(p) ? p : null;
    } catch (InvalidPathException e) {
      return null;
    }
  }
}
