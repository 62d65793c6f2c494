package dev.pvll.report;

import dev.pvll.compare.Comparison;
import dev.pvll.compare.ComparisonSummary;
import dev.pvll.compare.LabelHistory;
import dev.pvll.run.RunJson;
import dev.pvll.search.Method;
import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report of a comparison ({@code pvll compare}): the anytime curves (best label after k
 * evaluations, median over seeds with the quartiles dashed), the returned genotypes' labels per
 * seed, and the paired tests.
 */
final class ComparisonPage {
  private ComparisonPage() {}

  /** Whether dir holds a comparison. */
  static boolean isComparison(Path dir) {
    return Files.exists(dir.resolve(Comparison.PLAN));
  }

  static String html(Path dir) throws IOException {
    Comparison.Plan plan = Comparison.savedPlan(dir);
    ComparisonSummary s = ComparisonSummary.of(plan, dir);
    Html h = new Html("Search methods on fixed landscapes: " + dir.getFileName());
    if (s.seeds().isEmpty()) {
      h.note("No seed has finished every method yet: nothing to compare.");
      return h.end();
    }
    List<Method> methods = plan.methods();
    String[][] cards = new String[methods.size()][];
    for (int i = 0; i < methods.size(); i++) {
      Method m = methods.get(i);
      cards[i] = new String[] {RunJson.text(m) + ": median returned label", String.format(Locale.ROOT, "%.4f", median(s.finalLabels(m)))};
    }
    h.cards(cards);

    XYSeriesCollection curves = new XYSeriesCollection();
    for (Method m : methods) {
      double[][] q = s.anytime(m);
      String name = RunJson.text(m);
      curves.addSeries(series(name + " (median)", q[1]));
      curves.addSeries(series(name + " q1", q[0]));
      curves.addSeries(series(name + " q3", q[2]));
    }
    JFreeChart c = Charts.xy("Best label found after k evaluations (" + s.seeds().size() + " seeds)", "label evaluations k",
        "best validation loss so far", curves, true, false);
    Charts.integerX(c);
    XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) c.getXYPlot().getRenderer();
    for (int i = 0; i < methods.size(); i++) {
      for (int j = 0; j < 3; j++) {
        r.setSeriesPaint(3 * i + j, Charts.PALETTE[i % Charts.PALETTE.length]);
        r.setSeriesStroke(3 * i + j, j == 0 ? new BasicStroke(2.5f)
            : new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        r.setSeriesVisibleInLegend(3 * i + j, j == 0);
      }
    }
    Charts.save(c, dir.resolve("anytime.png"), 900, 480);
    h.figure("anytime.png", "Every method labels genotypes on the same frozen one-shot supernet of each seed; solid: the median over seeds "
        + "of the best label after k evaluations, dashed: its quartiles. Lower is better.");

    StringBuilder table = new StringBuilder("<h2>Returned genotype's label per seed</h2><table><tr><th>seed</th>");
    for (Method m : methods) table.append("<th>").append(Html.escape(RunJson.text(m))).append("</th>");
    table.append("</tr>");
    for (int i = 0; i < s.seeds().size(); i++) {
      table.append("<tr><td>").append(s.seeds().get(i)).append("</td>");
      for (Method m : methods) {
        LabelHistory run = s.runs().get(m).get(i);
        table.append(String.format(Locale.ROOT, "<td>%.4f</td>", run.finalLabel()));
      }
      table.append("</tr>");
    }
    h.raw(table.append("</table>").toString());
    StringBuilder tests = new StringBuilder();
    for (ComparisonSummary.Paired p : s.paired()) {
      tests.append(String.format(Locale.ROOT, "%s vs %s: lower in %d of %d seeds (higher in %d), median difference %+.4f; Wilcoxon "
          + "signed-rank W+ = %.1f, p (lower) = %.4f, p (two-sided) = %.4f%n", RunJson.text(p.method()), RunJson.text(p.baseline()),
          p.lower(), p.n(), p.higher(), p.medianDifference(), p.test().wPlus(), p.test().pLess(), p.test().pTwoSided()));
    }
    h.code("Paired over seeds", tests.toString());
    h.configuration(dir.resolve(Comparison.PLAN));
    return h.end();
  }

  private static XYSeries series(String name, double[] y) {
    XYSeries s = new XYSeries(name, false);
    for (int k = 0; k < y.length; k++) s.add(k + 1, y[k]);
    return s;
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    java.util.Arrays.sort(c);
    return c.length == 0 ? Double.NaN : c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
