package dev.pvll.compare;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pvll.run.RunFolder;
import dev.pvll.run.RunJson;
import dev.pvll.search.KendallTau;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one method's run of a comparison measured, read from its run folder: every label in the
 * order it was measured (the warm-up's, the search steps', then the final unit's finalists), the
 * label of the genotype it returned, and psi's held-out predictions of the search steps.
 *
 * @param labels every label, in order: the run's label evaluations
 * @param finalLabel the returned genotype's label (summary.json)
 * @param genotype the returned genotype (DARTS text)
 * @param predictions psi's held-out predictions of the search steps (empty without psi)
 * @param predicted the labels those predictions were made for
 */
public record LabelHistory(List<Double> labels, double finalLabel, String genotype, List<Double> predictions, List<Double> predicted) {
  /** The history of the finished run in dir. */
  public static LabelHistory read(Path dir) throws IOException {
    Path summaryFile = dir.resolve("summary.json");
    if (!Files.exists(summaryFile)) throw new IllegalArgumentException(dir + ": the run has not finished (no summary.json)");
    JsonObject summary = RunJson.object(Files.readString(summaryFile), summaryFile.toString());
    List<Double> labels = new ArrayList<>(), predictions = new ArrayList<>(), predicted = new ArrayList<>();
    Path log = dir.resolve(RunFolder.LOG);
    for (String text : Files.readAllLines(log)) {
      JsonObject line = RunJson.object(text, log.toString());
      String phase = line.get("phase").getAsString();
      if (phase.equals("warmup") || phase.equals("search")) {
        double label = line.get("val_loss").getAsDouble();
        labels.add(label);
        if (line.has("psi_prediction")) {
          predictions.add(line.get("psi_prediction").getAsDouble());
          predicted.add(label);
        }
      } else if (phase.equals("final")) {
        if (line.has("finalists")) {
          for (JsonElement f : line.getAsJsonArray("finalists")) labels.add(f.getAsJsonObject().get("val_loss").getAsDouble());
        } else {
          labels.add(line.get("val_loss").getAsDouble());
        }
      }
    }
    return new LabelHistory(List.copyOf(labels), summary.get("final_val_loss").getAsDouble(), summary.get("genotype").getAsString(),
        List.copyOf(predictions), List.copyOf(predicted));
  }

  /** The lowest label found after each evaluation: the run's anytime curve. */
  public double[] bestSoFar() {
    double[] best = new double[labels.size()];
    double b = Double.POSITIVE_INFINITY;
    for (int i = 0; i < best.length; i++) best[i] = b = Math.min(b, labels.get(i));
    return best;
  }

  /** psi's held-out Kendall tau over the second half of the search steps ({@link KendallTau#secondHalf}). */
  public double heldOutTauSecondHalf() {
    return KendallTau.secondHalf(predictions.stream().mapToDouble(Double::doubleValue).toArray(),
        predicted.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
