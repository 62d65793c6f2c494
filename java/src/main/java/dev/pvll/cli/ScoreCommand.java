package dev.pvll.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.data.Dataset;
import dev.pvll.search.KendallTau;
import dev.pvll.run.RunFolder;
import dev.pvll.run.RunJson;
import dev.pvll.run.SearchRun;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchEngine;
import dev.pvll.space.Genotype;
import dev.pvll.space.Genotypes;
import dev.pvll.space.RandomGenotypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pvll score RUN}: the validation loss of genotypes on a search run's shared weights, and,
 * given a {@code pvll train} summary, how well those losses rank the retrained test accuracies.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = {"Score genotypes with a search run's shared weights (one validation pass each, batch statistics).",
        "With --train-summary, every genotype of a pvll train summary.json is scored and the Kendall tau between",
        "the scores and the retrained test accuracies is printed: how informative the run's labels are."})
final class ScoreCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN", description = "a pvll search --out folder") Path run;
  @Option(names = "--genotype", split = ";", paramLabel = "FILE|NAME|TEXT", description = "genotype.json, DARTS text or a built-in name; repeatable")
  List<String> genotypes = new ArrayList<>();
  @Option(names = "--random", paramLabel = "K", description = "also score K random genotypes (the ones pvll train --random K draws)") int random;
  @Option(names = "--random-seed", description = "seed of the random genotypes (default 7, as pvll train)") long randomSeed = 7;
  @Option(names = "--train-summary", paramLabel = "FILE", description = "a pvll train summary.json: score its genotypes against their test accuracy")
  Path trainSummary;

  @Override
  public Integer call() throws Exception {
    Job.requireSingle("pvll score");
    if (!Files.isDirectory(run)) throw new IllegalArgumentException("RUN " + run + ": not a folder");
    if (!RunFolder.hasCheckpoint(run)) throw new IllegalArgumentException("RUN " + run + ": no " + RunFolder.CHECKPOINT + " there (not a pvll search --out folder)");
    Map<String, Genotype> todo = new LinkedHashMap<>();
    Map<String, Double> accuracy = new LinkedHashMap<>();
    for (String g : genotypes) todo.put(g.length() > 40 ? "genotype-" + Integer.toHexString(g.hashCode()) : g, Genotypes.load(g));
    Random r = new Random(randomSeed);
    for (int k = 0; k < random; k++) todo.put("random-" + (k + 1), RandomGenotypes.sample(r, 4));
    if (trainSummary != null) readSummary(trainSummary, todo, accuracy);
    if (todo.isEmpty()) throw new IllegalArgumentException("--genotype, --random or --train-summary is required");
    SearchConfig config = SearchRun.savedConfig(run);
    SearchConfig.Data d = config.data();
    Dataset train = DataLoading.searchSet(d);
    System.out.printf("validation loss with batch statistics on the shared weights of %s (its label mode: %s)%n", run,
        RunJson.text(config.labelMode()));
    System.out.printf("%-24s %10s %9s %14s%n", "genotype", "val loss", "val acc", "test accuracy");
    List<Double> losses = new ArrayList<>(), accuracies = new ArrayList<>();
    try (SearchEngine engine = SearchRun.open(run, train)) {
      for (Map.Entry<String, Genotype> e : todo.entrySet()) {
        SearchEngine.ValidationScore s = engine.score(e.getValue());
        Double acc = accuracy.get(e.getKey());
        System.out.printf("%-24s %10.4f %8.2f%% %14s%n", e.getKey(), s.loss(), 100 * s.accuracy(), acc == null ? "" : String.format("%.2f%%", 100 * acc));
        if (acc != null) {
          losses.add(-s.loss()); // a lower loss should mean a higher accuracy
          accuracies.add(acc);
        }
      }
    }
    if (losses.size() >= 2) {
      double tau = KendallTau.tau(losses.stream().mapToDouble(Double::doubleValue).toArray(), accuracies.stream().mapToDouble(Double::doubleValue).toArray());
      System.out.printf("Kendall tau between -(val loss) and test accuracy over %d genotypes: %.3f%n", losses.size(), tau);
    }
    return 0;
  }

  private static void readSummary(Path file, Map<String, Genotype> todo, Map<String, Double> accuracy) throws Exception {
    JsonElement root;
    try {
      root = JsonParser.parseString(Files.readString(file));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--train-summary " + file + ": not JSON (" + e.getMessage() + ")");
    }
    if (!root.isJsonArray()) throw new IllegalArgumentException("--train-summary " + file + ": expected the array pvll train writes to summary.json");
    JsonArray rows = root.getAsJsonArray();
    for (JsonElement e : rows) {
      JsonObject o = e.getAsJsonObject();
      if (!o.has("name") || !o.has("genotype") || !o.has("mean")) {
        throw new IllegalArgumentException("--train-summary " + file + ": a row lacks name, genotype or mean: " + o);
      }
      String name = o.get("name").getAsString();
      todo.put(name, Genotype.parse(o.get("genotype").getAsString()));
      accuracy.put(name, o.get("mean").getAsDouble());
    }
  }
}
