package dev.pvll.report;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The lines of a run's log.jsonl; a malformed line is an error naming the file and line. */
record RunLog(List<JsonObject> lines) {
  static RunLog read(Path dir) throws IOException {
    Path file = dir.resolve("log.jsonl");
    if (!Files.exists(file)) throw new IllegalArgumentException(dir + " is not a pvll run folder: no log.jsonl");
    List<JsonObject> out = new ArrayList<>();
    int n = 0;
    for (String s : Files.readAllLines(file)) {
      n++;
      if (s.isBlank()) continue;
      try {
        out.add(JsonParser.parseString(s).getAsJsonObject());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(file + ": line " + n + " is not a JSON object: " + e.getMessage());
      }
    }
    return new RunLog(out);
  }

  /** True for a search run (phases warmup/search), false for a training run. */
  boolean isSearch() {
    return lines.stream().anyMatch(l -> l.has("phase") && !l.get("phase").getAsString().equals("train"));
  }

  List<JsonObject> phase(String name) {
    return lines.stream().filter(l -> l.has("phase") && l.get("phase").getAsString().equals(name)).toList();
  }

  static double number(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsDouble() : Double.NaN;
  }
}
