package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.testing.CapturedStreams;
import dev.pvll.testing.RunFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pvll search}'s launch flags reach config.json, and the numbers do not depend on them; the
 * default preset's genotype draws and ranked rule give way to GDAS's own unless a flag asks.
 */
class SearchCommandTest {
  @TempDir Path tmp;
  @RegisterExtension final CapturedStreams io = new CapturedStreams();

  @Test
  void launchFlagsAreConfigurationAndChangeNoNumber() throws Exception {
    Path plain = tmp.resolve("default"), lanes = tmp.resolve("lanes");
    assertEquals(0, Main.run("search", "--preset", "tiny", "--steps", "2", "--out", plain.toString()), io.err());
    assertEquals(0, Main.run("search", "--preset", "tiny", "--steps", "2", "--no-cuda-graphs", "--cuda-lanes", "--cuda-switches", "root",
        "--out", lanes.toString()), io.err());
    JsonObject launch = JsonParser.parseString(Files.readString(lanes.resolve("config.json"))).getAsJsonObject().getAsJsonObject("launch");
    assertEquals("resident", launch.get("kind").getAsString());
    assertTrue(launch.get("lanes").getAsBoolean());
    assertEquals("root", launch.get("switches").getAsString());
    List<JsonObject> a = RunFiles.logWithoutTimes(plain), b = RunFiles.logWithoutTimes(lanes);
    assertEquals(a, b, "the log with resident launches on lanes");
  }

  @Test
  void aBadValueNamesItsFlag() {
    assertEquals(2, Main.run("search", "--preset", "tiny", "--label-mode", "fresh", "--out", tmp.resolve("x").toString()));
    assertTrue(io.err().contains("--label-mode"), io.err());
    assertEquals(2, Main.run("search", "--preset", "tiny", "--arch-lr", "-1", "--out", tmp.resolve("y").toString()));
    assertTrue(io.err().contains("--arch-lr must be > 0"), io.err());
  }

  @Test
  void gdasOnTheDefaultPresetDrawsOnEveryEdgeAndReturnsTheDartsRule() throws Exception {
    Path dir = tmp.resolve("gdas");
    assertEquals(0, Main.run("search", "--method", "gdas", "--warmup", "1", "--steps", "1", "--cells", "3", "--channels", "4",
        "--batch-size", "32", "--train-images", "64", "--val-images", "64", "--device", "cpu", "--out", dir.toString()), io.err());
    assertTrue(io.err().contains("(default = one-shot preset)"), io.err());
    JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
    assertEquals("gdas", config.get("method").getAsString());
    assertEquals("every-edge", config.getAsJsonObject("architecture").get("draw").getAsString());
    assertEquals("darts-rule", config.getAsJsonObject("finalGenotype").get("rule").getAsString());
    // asked for by a flag, the genotype draws stay and are refused, naming both flags
    assertEquals(2, Main.run("search", "--method", "gdas", "--draw", "genotype", "--out", tmp.resolve("refused").toString()));
    assertTrue(io.err().contains("--method gdas steps A on every edge: it needs --draw every-edge"), io.err());
  }
}
