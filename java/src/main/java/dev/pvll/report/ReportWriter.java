package dev.pvll.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.run.SearchRun;
import dev.pvll.search.KendallTau;
import dev.pvll.space.Primitive;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code pvll report RUN_DIR}: one self-contained HTML page (report.html, PNGs beside it) for a
 * search run or a training run.
 */
public final class ReportWriter {
  private ReportWriter() {}

  /** Writes the report into runDir and returns the HTML file. */
  public static Path write(Path runDir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    if (ComparisonPage.isComparison(runDir)) {
      Path file = runDir.resolve("report.html");
      Files.writeString(file, ComparisonPage.html(runDir));
      return file;
    }
    RunLog log = RunLog.read(runDir);
    if (log.lines().isEmpty()) throw new IllegalArgumentException(runDir + "/log.jsonl is empty: nothing to report yet");
    String html = log.isSearch() ? searchPage(runDir, log) : trainPage(runDir, log);
    Path file = runDir.resolve("report.html");
    Files.writeString(file, html);
    return file;
  }

  // ------------------------------------------------------------------ search

  private static String searchPage(Path dir, RunLog log) throws IOException {
    Html h = new Html("PVLL-NAS search: " + dir.getFileName());
    JsonObject summary = readJson(dir.resolve("summary.json"));
    List<JsonObject> warm = log.phase("warmup"), search = log.phase("search"), fin = log.phase("final");
    boolean hasPsi = !search.isEmpty() && search.get(0).has("psi_prediction"); // random search and evolution have none
    double[] tau = hasPsi ? heldOutTau(search) : null;
    if (summary != null) {
      List<String[]> cards = new ArrayList<>(List.of(new String[][] {
          {"method", summary.get("method").getAsString()},
          {"final architecture, val loss", fmt(summary, "final_val_loss")},
          {"warm-up population, mean / best", fmt(summary, "warmup_mean_val_loss") + " / " + fmt(summary, "warmup_best_val_loss")},
          {"best measured in the run", fmt(summary, "best_measured_val_loss")}}));
      if (hasPsi) {
        cards.add(new String[] {"psi held-out Kendall tau, all search steps / second half",
            fmt(summary, "held_out_kendall_tau") + " / " + (summary.has("held_out_kendall_tau_second_half")
                ? fmt(summary, "held_out_kendall_tau_second_half") : fmt(tau[1]))});
      }
      cards.add(new String[] {"sampling entropy at the end (ln 8 = 2.079 uniform)", fmt(summary, "final_entropy")});
      cards.add(new String[] {"wall time", String.format(Locale.ROOT, "%.1f s", summary.get("seconds").getAsDouble())});
      h.cards(cards.toArray(new String[0][]));
      h.code("genotype", summary.get("genotype").getAsString());
    } else {
      h.note("The search has not finished: summary.json is missing; the plots show the units done so far.");
    }

    XYSeriesCollection losses = new XYSeriesCollection();
    int[] counter = {0};
    losses.addSeries(series("warm-up", warm, l -> counter[0]++, "val_loss"));
    losses.addSeries(series("search", search, l -> counter[0]++, "val_loss"));
    losses.addSeries(series("final genotype", fin, l -> counter[0]++, "val_loss"));
    Charts.save(Charts.xy("Validation loss of every evaluated architecture", "evaluation", "validation loss (cross-entropy)", losses, false, true),
        dir.resolve("val_loss.png"), 900, 420);
    String labelMode = summary != null && summary.has("label_mode") ? summary.get("label_mode").getAsString() : "eval";
    h.figure("val_loss.png", switch (labelMode) {
      case "frozen" -> "Each point is one sampled architecture labelled on the validation split with the shared weights frozen after the one-shot warm-up (no training per label).";
      case "snapshot" -> "Each point is one sampled architecture trained for one epoch from the shared weights saved after the first warm-up pass, then labelled on the validation split.";
      default -> "Each point is one sampled architecture trained for one epoch on the shared weights, then labelled on the validation split.";
    });

    if (hasPsi) {
      XYSeriesCollection psi = new XYSeriesCollection();
      XYSeries firstHalf = new XYSeries("first half of the search", false), secondHalf = new XYSeries("second half", false);
      double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
      int secondHalfFrom = KendallTau.secondHalfFrom(search.size());
      for (int i = 0; i < search.size(); i++) {
        double p = RunLog.number(search.get(i), "psi_prediction"), v = RunLog.number(search.get(i), "val_loss");
        (i < secondHalfFrom ? firstHalf : secondHalf).add(p, v);
        lo = Math.min(lo, Math.min(p, v));
        hi = Math.max(hi, Math.max(p, v));
      }
      psi.addSeries(firstHalf);
      psi.addSeries(secondHalf);
      XYSeries diag = new XYSeries("y = x");
      diag.add(lo, lo);
      diag.add(hi, hi);
      psi.addSeries(diag);
      String tauText = String.format(Locale.ROOT, "held-out Kendall tau %.4f, second half %.4f", tau[0], tau[1]);
      JFreeChart c = Charts.xy("psi against measured loss", "psi's prediction", "measured validation loss", psi, false, true);
      c.addSubtitle(new TextTitle(tauText));
      XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) ((XYPlot) c.getPlot()).getRenderer();
      r.setSeriesLinesVisible(2, true);
      r.setSeriesShapesVisible(2, false);
      r.setSeriesPaint(2, Color.GRAY);
      r.setSeriesStroke(2, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      Charts.save(c, dir.resolve("psi.png"), 560, 480);
      h.figure("psi.png", "psi's " + tauText + ": each label is scored by psi before psi is refitted on it, so this tau measures "
          + "prediction on unseen architectures (the same pairs as the summary's figures). The second half is where the search "
          + "measures genotypes close to the best it has found, so its tau says how well psi ranks small differences; the whole "
          + "run's also counts the first half's coarse progress.");
    }

    entropyMap(dir, search, h);
    landscape(dir, h);
    h.pictures("Final cells", "normal.png", "reduction.png");
    h.configuration(dir.resolve("config.json"));
    return h.end();
  }

  /**
   * psi's held-out Kendall tau over the search steps' (prediction, label) pairs, and over the second
   * half of them ({@link KendallTau#secondHalf}): the pairs this page plots and the summary's figures
   * are computed from (ProxyLandscape). Each log line's own "kendall_tau" was taken before that
   * line's pair was added, so the last one lags by a pair.
   */
  static double[] heldOutTau(List<JsonObject> searchLines) {
    double[] predicted = new double[searchLines.size()], measured = new double[searchLines.size()];
    for (int i = 0; i < predicted.length; i++) {
      predicted[i] = RunLog.number(searchLines.get(i), "psi_prediction");
      measured[i] = RunLog.number(searchLines.get(i), "val_loss");
    }
    return new double[] {KendallTau.tau(predicted, measured), KendallTau.secondHalf(predicted, measured)};
  }

  /** The entropy of uniform sampling over the 8 primitives, the top of the entropy map's scale. */
  static final double UNIFORM_ENTROPY = Math.log(Primitive.COUNT);

  private static void entropyMap(Path dir, List<JsonObject> search, Html h) throws IOException {
    List<JsonObject> steps = search.stream().filter(l -> l.has("entropy_per_edge")).toList();
    if (steps.isEmpty()) return;
    int edges = steps.get(0).getAsJsonArray("entropy_per_edge").size();
    double[][] xyz = new double[3][steps.size() * edges];
    double zMin = Double.MAX_VALUE, zMax = -Double.MAX_VALUE;
    for (int t = 0; t < steps.size(); t++) {
      JsonArray e = steps.get(t).getAsJsonArray("entropy_per_edge");
      for (int k = 0; k < edges; k++) {
        int i = t * edges + k;
        xyz[0][i] = steps.get(t).get("step").getAsInt();
        xyz[1][i] = k;
        xyz[2][i] = e.get(k).getAsDouble();
        zMin = Math.min(zMin, xyz[2][i]);
        zMax = Math.max(zMax, xyz[2][i]);
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("entropy", xyz);
    // the scale is anchored at 0 .. ln 8 (uniform), so a sampler that never moved is painted as one flat colour
    JFreeChart c = Charts.heat("Entropy of the sampling distribution per edge", "search step", "edge (0-13 normal, 14-27 reduction)", data,
        1, 1, 0, UNIFORM_ENTROPY, "entropy (nats)");
    Charts.save(c, dir.resolve("entropy.png"), 900, 440);
    String range = String.format(Locale.ROOT, "Over the run the per-edge entropies span %.4f to %.4f nats", zMin, zMax);
    h.figure("entropy.png", "ln 8 = 2.079 is uniform sampling; lower values mean A concentrates the samples on fewer ops. "
        + range + (zMax - zMin < 0.01 ? ": a negligible range, the sampler stayed where it started." : "."));
  }

  private static void landscape(Path dir, Html h) throws IOException {
    SearchRun.SavedPsi snap;
    try {
      snap = SearchRun.savedPsi(dir);
    } catch (IOException | RuntimeException e) {
      h.note("No landscape map: the checkpoint could not be read (" + e.getMessage() + ").");
      return;
    }
    if (snap.memory().size() < 3) return;
    Landscape land = new Landscape(snap.memory());
    double uMin = Double.MAX_VALUE, uMax = -Double.MAX_VALUE, vMin = Double.MAX_VALUE, vMax = -Double.MAX_VALUE;
    for (double[] p : land.points) {
      uMin = Math.min(uMin, p[0]);
      uMax = Math.max(uMax, p[0]);
      vMin = Math.min(vMin, p[1]);
      vMax = Math.max(vMax, p[1]);
    }
    double padU = 0.15 * (uMax - uMin) + 1e-6, padV = 0.15 * (vMax - vMin) + 1e-6;
    uMin -= padU;
    uMax += padU;
    vMin -= padV;
    vMax += padV;
    int grid = 60;
    double du = (uMax - uMin) / grid, dv = (vMax - vMin) / grid;
    double[][] xyz = new double[3][grid * grid];
    double zMin = Double.MAX_VALUE, zMax = -Double.MAX_VALUE;
    for (int i = 0; i < grid; i++) {
      for (int j = 0; j < grid; j++) {
        int k = i * grid + j;
        xyz[0][k] = uMin + (i + 0.5) * du;
        xyz[1][k] = vMin + (j + 0.5) * dv;
        xyz[2][k] = land.predict(snap.psi(), xyz[0][k], xyz[1][k]);
        zMin = Math.min(zMin, xyz[2][k]);
        zMax = Math.max(zMax, xyz[2][k]);
      }
    }
    DefaultXYZDataset heat = new DefaultXYZDataset();
    heat.addSeries("psi", xyz);
    JFreeChart c = Charts.heat("Proxy validation loss landscape (psi on the principal plane of the memory)", "principal axis 1",
        "principal axis 2", heat, du, dv, zMin, Math.max(zMax, zMin + 1e-6), "psi (predicted loss)");
    XYPlot plot = (XYPlot) c.getPlot();
    XYSeriesCollection pts = new XYSeriesCollection();
    XYSeries s = new XYSeries("evaluated architectures (memory)", false);
    for (double[] p : land.points) s.add(p[0], p[1]);
    pts.addSeries(s);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
    r.setSeriesPaint(0, Color.WHITE);
    r.setSeriesOutlinePaint(0, Color.BLACK);
    r.setUseOutlinePaint(true);
    r.setDrawOutlines(true);
    r.setSeriesShape(0, new java.awt.geom.Ellipse2D.Double(-4, -4, 8, 8));
    plot.setDataset(1, pts);
    plot.setRenderer(1, r);
    plot.setDatasetRenderingOrder(org.jfree.chart.plot.DatasetRenderingOrder.FORWARD); // points over the map
    ((NumberAxis) plot.getDomainAxis()).setRange(uMin, uMax);
    ((NumberAxis) plot.getRangeAxis()).setRange(vMin, vMax);
    Charts.save(c, dir.resolve("landscape.png"), 760, 560);
    h.figure("landscape.png", "psi evaluated over the plane spanned by the two principal axes of the memory's encodings H; circles are the architectures in the memory.");
  }

  // ------------------------------------------------------------------ training

  private static String trainPage(Path dir, RunLog log) throws IOException {
    Html h = new Html("pvll training: " + dir.getFileName());
    JsonObject result = readJson(dir.resolve("result.json"));
    List<JsonObject> epochs = log.phase("train");
    if (result != null) {
      h.cards(new String[][] {
          {"test accuracy", String.format(Locale.ROOT, "%.2f %%", 100 * result.get("test_accuracy").getAsDouble())},
          {"parameters (auxiliary head excluded)", String.format(Locale.ROOT, "%,d", result.get("parameters").getAsLong())},
          {"multiply-adds per image", String.format(Locale.ROOT, "%,d", result.get("multiply_adds").getAsLong())},
          {"seed", result.get("seed").getAsString()},
          {"wall time", String.format(Locale.ROOT, "%.1f s", result.get("seconds").getAsDouble())}});
      h.code("genotype", result.get("genotype").getAsString());
    } else {
      h.note("Training has not finished: result.json is missing; the curves show the epochs done so far.");
    }
    XYSeriesCollection loss = new XYSeriesCollection();
    loss.addSeries(series("train", epochs, l -> l.get("epoch").getAsInt() + 1, "train_loss"));
    loss.addSeries(series("test", epochs, l -> l.get("epoch").getAsInt() + 1, "test_loss"));
    Charts.save(Charts.integerX(Charts.xy("Loss", "epoch", "cross-entropy", loss, true, true)), dir.resolve("loss.png"), 560, 400);
    XYSeriesCollection acc = new XYSeriesCollection();
    acc.addSeries(series("train", epochs, l -> l.get("epoch").getAsInt() + 1, "train_acc"));
    acc.addSeries(series("test", epochs, l -> l.get("epoch").getAsInt() + 1, "test_acc"));
    Charts.save(Charts.integerX(Charts.xy("Accuracy", "epoch", "accuracy", acc, true, true)), dir.resolve("accuracy.png"), 560, 400);
    h.row("loss.png", "accuracy.png");
    if (result != null) confusion(dir, result, h);
    h.pictures("Cells", "normal.png", "reduction.png");
    h.configuration(dir.resolve("config.json"));
    return h.end();
  }

  private static void confusion(Path dir, JsonObject result, Html h) throws IOException {
    JsonArray m = result.getAsJsonArray("confusion");
    JsonArray names = result.getAsJsonArray("class_names");
    int k = m.size();
    double[][] xyz = new double[3][k * k];
    double max = 0;
    for (int t = 0; t < k; t++) {
      JsonArray row = m.get(t).getAsJsonArray();
      double total = 0;
      for (int p = 0; p < k; p++) total += row.get(p).getAsDouble();
      for (int p = 0; p < k; p++) {
        int i = t * k + p;
        xyz[0][i] = p;
        xyz[1][i] = t;
        xyz[2][i] = total == 0 ? 0 : row.get(p).getAsDouble() / total;
        max = Math.max(max, xyz[2][i]);
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("confusion", xyz);
    JFreeChart c = Charts.heat("Confusion matrix (rows: true class, share of the row)", "predicted", "true", data, 1, 1, 0, Math.max(max, 1e-6),
        "share");
    String[] labels = new String[k];
    for (int i = 0; i < k; i++) labels[i] = names != null && i < names.size() ? names.get(i).getAsString() : String.valueOf(i);
    XYPlot plot = (XYPlot) c.getPlot();
    SymbolAxis x = new SymbolAxis("predicted", labels), y = new SymbolAxis("true", labels);
    x.setVerticalTickLabels(true);
    plot.setDomainAxis(x);
    plot.setRangeAxis(y);
    y.setInverted(true);
    Charts.save(c, dir.resolve("confusion.png"), 680, 600);
    h.figure("confusion.png", null);
    StringBuilder table = new StringBuilder("<table><tr><th>class</th><th>test accuracy</th></tr>");
    JsonArray per = result.getAsJsonArray("per_class_accuracy");
    for (int i = 0; i < per.size(); i++) {
      table.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f %%</td></tr>", Html.escape(labels[i]), 100 * per.get(i).getAsDouble()));
    }
    h.raw(table.append("</table>").toString());
  }

  // ------------------------------------------------------------------ helpers

  private static XYSeries series(String name, List<JsonObject> lines, java.util.function.ToIntFunction<JsonObject> x, String key) {
    XYSeries s = new XYSeries(name, false);
    for (JsonObject l : lines) {
      double v = RunLog.number(l, key);
      int xi = x.applyAsInt(l);
      if (!Double.isNaN(v)) s.add(xi, v);
    }
    return s;
  }

  private static JsonObject readJson(Path file) throws IOException {
    if (!Files.exists(file)) return null;
    try {
      return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage());
    }
  }

  private static String fmt(JsonObject o, String key) {
    return fmt(RunLog.number(o, key));
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }
}
