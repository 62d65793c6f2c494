package dev.pvll.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pvll.search.SearchConfig;
import dev.pvll.supernet.StepLaunch;
import java.util.List;

/**
 * A {@link SearchConfig} as JSON (config.json, and inside every checkpoint), read back from its
 * nested form or from the flat form that runs written before the configuration was nested used;
 * a launch setting missing from either is {@code auto}. A missing or bad setting is an
 * IllegalArgumentException that names it.
 */
final class SearchConfigJson {
  private SearchConfigJson() {}

  private static final List<String> REQUIRED = List.of("method", "data", "network", "schedule", "psi", "architecture", "labelMode", "seed",
      "device");

  static JsonElement write(SearchConfig c) {
    return RunJson.COMPACT.toJsonTree(c);
  }

  static SearchConfig read(JsonElement json, String where) {
    if (json == null || !json.isJsonObject()) throw new IllegalArgumentException(where + ": no configuration");
    JsonObject o = json.getAsJsonObject().deepCopy();
    if (o.has("lrMax")) o = nested(o);
    for (String k : REQUIRED) {
      if (!o.has(k) || o.get(k).isJsonNull()) throw new IllegalArgumentException(where + ": the configuration has no '" + k + "'");
    }
    if (!o.has("launch")) o.add("launch", RunJson.COMPACT.toJsonTree(StepLaunch.AUTO));
    try {
      return RunJson.COMPACT.fromJson(o, SearchConfig.class);
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof IllegalArgumentException || cause instanceof NullPointerException)) {
        cause = cause.getCause();
      }
      throw new IllegalArgumentException(where + ": bad configuration (" + cause.getMessage() + ")", e);
    }
  }

  /** The flat form of earlier versions, nested: the same settings under their concern's name. */
  private static JsonObject nested(JsonObject flat) {
    JsonObject o = new JsonObject();
    move(flat, o, "method", "method");
    JsonObject data = new JsonObject();
    for (String k : List.of("dataset", "dataDir", "batchSize", "trainImages", "validationImages", "trainFraction", "cutout")) move(flat, data, k, k);
    o.add("data", data);
    move(flat, o, "network", "network");
    JsonObject schedule = new JsonObject();
    for (String k : List.of("warmup", "steps", "lrMax", "lrMin", "momentum", "weightDecay", "gradClip")) move(flat, schedule, k, k);
    o.add("schedule", schedule);
    JsonObject psi = new JsonObject();
    move(flat, psi, "predictor", "predictor");
    move(flat, psi, "weightedLoss", "weightedLoss");
    move(flat, psi, "memoryCapacity", "memoryCapacity");
    move(flat, psi, "psiPasses", "passes");
    move(flat, psi, "psiStopTau", "stopTau");
    move(flat, psi, "psiLr", "lr");
    o.add("psi", psi);
    JsonObject arch = new JsonObject();
    move(flat, arch, "archLr", "lr");
    move(flat, arch, "archWeightDecay", "weightDecay");
    move(flat, arch, "tau", "tau");
    if (flat.has("uniformSampler")) arch.add("sampler", new JsonPrimitive(flat.get("uniformSampler").getAsBoolean() ? "uniform" : "around-a"));
    o.add("architecture", arch);
    move(flat, o, "labelMode", "labelMode");
    move(flat, o, "seed", "seed");
    move(flat, o, "device", "device");
    return o;
  }

  private static void move(JsonObject from, JsonObject to, String name, String as) {
    if (from.has(name)) to.add(as, from.get(name));
  }
}
