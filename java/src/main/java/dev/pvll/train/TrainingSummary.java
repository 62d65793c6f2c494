package dev.pvll.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Test accuracy per genotype over seeds: mean, sample standard deviation, min and max. */
public final class TrainingSummary {
  private final Map<String, List<GenotypeTrainer.Result>> runs = new LinkedHashMap<>();

  public void add(String name, GenotypeTrainer.Result r) {
    runs.computeIfAbsent(name, k -> new ArrayList<>()).add(r);
  }

  /** A markdown table, one row per genotype. */
  public String markdown() {
    StringBuilder sb = new StringBuilder("| genotype | seeds | test accuracy mean | std | min | max | parameters |\n|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, List<GenotypeTrainer.Result>> e : runs.entrySet()) {
      double[] a = e.getValue().stream().mapToDouble(r -> 100 * r.testAccuracy()).toArray();
      sb.append(String.format(Locale.ROOT, "| %s | %d | %.2f %% | %.2f | %.2f | %.2f | %,d |%n", e.getKey(), a.length, mean(a), std(a), min(a),
          max(a), e.getValue().get(0).parameters()));
    }
    return sb.toString();
  }

  public String json() {
    JsonArray rows = new JsonArray();
    for (Map.Entry<String, List<GenotypeTrainer.Result>> e : runs.entrySet()) {
      JsonObject o = new JsonObject();
      o.addProperty("name", e.getKey());
      o.addProperty("genotype", e.getValue().get(0).genotype().toDartsString());
      JsonArray acc = new JsonArray();
      JsonArray seeds = new JsonArray();
      for (GenotypeTrainer.Result r : e.getValue()) {
        acc.add(r.testAccuracy());
        seeds.add(r.seed());
      }
      o.add("seeds", seeds);
      o.add("test_accuracy", acc);
      double[] a = e.getValue().stream().mapToDouble(GenotypeTrainer.Result::testAccuracy).toArray();
      o.addProperty("mean", mean(a));
      o.addProperty("std", std(a));
      o.addProperty("parameters", e.getValue().get(0).parameters());
      rows.add(o);
    }
    return new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(rows);
  }

  static double mean(double[] a) {
    double s = 0;
    for (double v : a) s += v;
    return s / a.length;
  }

  static double std(double[] a) {
    if (a.length < 2) return 0;
    double m = mean(a), s = 0;
    for (double v : a) s += (v - m) * (v - m);
    return Math.sqrt(s / (a.length - 1));
  }

  static double min(double[] a) {
    double m = Double.MAX_VALUE;
    for (double v : a) m = Math.min(m, v);
    return m;
  }

  static double max(double[] a) {
    double m = -Double.MAX_VALUE;
    for (double v : a) m = Math.max(m, v);
    return m;
  }
}
