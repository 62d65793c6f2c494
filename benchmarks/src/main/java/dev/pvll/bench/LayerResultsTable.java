package dev.pvll.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a LayerBench JMH result file (-rf json) into the markdown table of
 * benchmarks/RESULTS-layers.md: one row per op and shape with ours, libtorch, the ratio
 * (libtorch time / ours) and our effective bandwidth (the bytes an ideal kernel must move).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.pvll.bench.LayerResultsTable layers.json</pre>
 */
public final class LayerResultsTable {
  private LayerResultsTable() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: LayerResultsTable <jmh-result.json>");
      System.exit(2);
    }
    JsonArray runs = JsonParser.parseString(Files.readString(Path.of(args[0]))).getAsJsonArray();
    // op -> params -> side -> microseconds
    Map<String, Map<String, Map<String, Double>>> table = new LinkedHashMap<>();
    for (JsonElement e : runs) {
      JsonObject run = e.getAsJsonObject();
      String method = run.get("benchmark").getAsString().replaceAll(".*\\.", "");
      String side = method.endsWith("Ours") ? "ours" : method.endsWith("Libtorch") ? "libtorch" : null;
      if (side == null) continue;
      String op = method.substring(0, method.length() - (side.equals("ours") ? 4 : 8));
      String params = "";
      if (run.has("params")) {
        JsonObject p = run.getAsJsonObject("params");
        params = p.has("shape") ? p.get("shape").getAsString() : "";
        if (p.has("stride")) params += " s" + p.get("stride").getAsString();
      }
      double us = run.getAsJsonObject("primaryMetric").get("score").getAsDouble();
      table.computeIfAbsent(op, k -> new TreeMap<>()).computeIfAbsent(params, k -> new LinkedHashMap<>()).put(side, us);
    }
    addTraining(table, "maxPoolForwardAndBackward", "maxPoolForward", "maxPoolForwardWithIndices", "maxPoolBackward");
    addTraining(table, "avgPoolForwardAndBackward", "avgPoolForward", "avgPoolForward", "avgPoolBackward");
    System.out.println("| op | shape (C x H x W, batch 64) | ours ms | libtorch ms | libtorch / ours | ours GB/s |");
    System.out.println("|---|---|---:|---:|---:|---:|");
    for (var op : table.entrySet()) {
      for (var row : op.getValue().entrySet()) {
        Double ours = row.getValue().get("ours"), torch = row.getValue().get("libtorch");
        double bytes = bytes(op.getKey(), row.getKey());
        System.out.printf("| %s | %s | %s | %s | %s | %s |%n", op.getKey(), row.getKey().isEmpty() ? "-" : row.getKey(),
            ms(ours), ms(torch), ours != null && torch != null ? String.format("%.2f", torch / ours) : "-",
            ours != null && bytes > 0 ? String.format("%.1f", bytes / (ours * 1e3)) : "-");
      }
    }
  }

  /**
   * A derived row per shape: forward + backward, as one training step runs them (libtorch's
   * training forward of the max pool is max_pool2d_with_indices, which its backward needs).
   */
  static void addTraining(Map<String, Map<String, Map<String, Double>>> table, String name, String forward,
      String torchForward, String backward) {
    if (!table.containsKey(forward) || !table.containsKey(backward)) return;
    Map<String, Map<String, Double>> rows = new TreeMap<>();
    for (String params : table.get(backward).keySet()) {
      Map<String, Double> row = new LinkedHashMap<>();
      Double of = table.get(forward).getOrDefault(params, Map.of()).get("ours");
      Double ob = table.get(backward).get(params).get("ours");
      Double tf = table.getOrDefault(torchForward, Map.of()).getOrDefault(params, Map.of()).get("libtorch");
      Double tb = table.get(backward).get(params).get("libtorch");
      if (of != null && ob != null) row.put("ours", of + ob);
      if (tf != null && tb != null) row.put("libtorch", tf + tb);
      rows.put(params, row);
    }
    table.put(name, rows);
  }

  static String ms(Double us) {
    return us == null ? "-" : String.format("%.3f", us / 1e3);
  }

  /** Bytes an ideal kernel reads and writes (float32), 0 where bandwidth is not the measure. */
  static double bytes(String op, String params) {
    if (params.isEmpty()) {
      double n = 2_000_000;
      return switch (op) {
        case "sgdStep" -> 5 * n * 4;
        case "adamStep" -> 7 * n * 4;
        case "gradNorm" -> n * 4;
        default -> 0;
      };
    }
    String[] parts = params.split(" ");
    int[] chw = LayerBench.parse(parts[0]);
    int stride = parts.length > 1 ? Integer.parseInt(parts[1].substring(1)) : 1;
    double size = 64.0 * chw[0] * chw[1] * chw[2];
    double pooled = 64.0 * chw[0] * ((chw[1] - 1) / stride + 1) * ((chw[2] - 1) / stride + 1);
    double planes = 64.0 * chw[0];
    double floats = switch (op) {
      case "batchNormTrainForward", "batchNormInference", "dropPathForward" -> 2 * size;
      case "batchNormBackward", "add" -> 3 * size;
      case "maxPoolForward", "maxPoolForwardWithIndices", "avgPoolForward", "avgPoolBackward" -> size + pooled;
      case "maxPoolBackward" -> 2 * size + pooled;
      case "maxPoolForwardAndBackward" -> 3 * size + 2 * pooled;
      case "avgPoolForwardAndBackward" -> 2 * size + 2 * pooled;
      case "globalAvgPoolForward", "globalAvgPoolBackward" -> size + planes;
      case "concat", "split" -> 8 * size;
      default -> 0;
    };
    return floats * 4;
  }
}
