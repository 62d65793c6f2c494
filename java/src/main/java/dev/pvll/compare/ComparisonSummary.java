package dev.pvll.compare;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.run.RunJson;
import dev.pvll.search.Method;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of a comparison over the seeds whose every method finished: each method's anytime
 * curve (the best label found after k evaluations: median and quartiles over seeds), each
 * method's returned genotype's label per seed, and the first method (PVLL) paired against each
 * other one per seed: how often it is lower, and Wilcoxon's signed-rank test.
 *
 * @param plan the comparison's plan
 * @param seeds the seeds whose runs all finished
 * @param runs per method, the histories of those seeds, in the same order
 */
public record ComparisonSummary(Comparison.Plan plan, List<Long> seeds, Map<Method, List<LabelHistory>> runs) {
  /** The finished part of the comparison in dir. */
  public static ComparisonSummary of(Comparison.Plan plan, Path dir) throws IOException {
    List<Long> seeds = new ArrayList<>();
    Map<Method, List<LabelHistory>> runs = new LinkedHashMap<>();
    for (Method m : plan.methods()) runs.put(m, new ArrayList<>());
    for (long seed : plan.seeds()) {
      Path seedDir = dir.resolve("seed-" + seed);
      if (!plan.methods().stream().allMatch(m -> Files.exists(seedDir.resolve(Comparison.folderName(m)).resolve("summary.json")))) continue;
      seeds.add(seed);
      for (Method m : plan.methods()) runs.get(m).add(LabelHistory.read(seedDir.resolve(Comparison.folderName(m))));
    }
    return new ComparisonSummary(plan, List.copyOf(seeds), runs);
  }

  /** A method's returned genotype's label per seed. */
  public double[] finalLabels(Method m) {
    return runs.get(m).stream().mapToDouble(LabelHistory::finalLabel).toArray();
  }

  /** Label evaluations of the shortest run of the method (the x range of its curve). */
  public int evaluations(Method m) {
    return runs.get(m).stream().mapToInt(h -> h.labels().size()).min().orElse(0);
  }

  /** The quartiles over seeds of a method's best label after k = 1 .. evaluations: rows q1, median, q3. */
  public double[][] anytime(Method m) {
    int k = evaluations(m);
    double[][] out = new double[3][k];
    List<double[]> curves = runs.get(m).stream().map(LabelHistory::bestSoFar).toList();
    for (int i = 0; i < k; i++) {
      double[] at = new double[curves.size()];
      for (int s = 0; s < at.length; s++) at[s] = curves.get(s)[i];
      out[0][i] = quantile(at, 0.25);
      out[1][i] = quantile(at, 0.5);
      out[2][i] = quantile(at, 0.75);
    }
    return out;
  }

  /** The first method against another, per seed. */
  public record Paired(Method method, Method baseline, int lower, int higher, int n, double medianDifference, Wilcoxon.Result test) {}

  /** The first method paired with each other one. */
  public List<Paired> paired() {
    List<Paired> out = new ArrayList<>();
    Method first = plan.methods().get(0);
    double[] a = finalLabels(first);
    for (Method b : plan.methods().subList(1, plan.methods().size())) {
      double[] y = finalLabels(b), d = new double[a.length];
      int lower = 0, higher = 0;
      for (int i = 0; i < a.length; i++) {
        d[i] = a[i] - y[i];
        if (d[i] < 0) lower++;
        if (d[i] > 0) higher++;
      }
      out.add(new Paired(first, b, lower, higher, a.length, quantile(d, 0.5), a.length > 0 ? Wilcoxon.test(a, y) : new Wilcoxon.Result(0, 0, 1, 1)));
    }
    return out;
  }

  /** Everything as JSON (comparison.json). */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    JsonArray seedArray = new JsonArray();
    seeds.forEach(seedArray::add);
    o.add("seeds", seedArray);
    JsonObject methods = new JsonObject();
    for (Method m : plan.methods()) {
      JsonObject mo = new JsonObject();
      mo.addProperty("evaluations", evaluations(m));
      mo.add("final_labels", array(finalLabels(m)));
      JsonArray genotypes = new JsonArray();
      runs.get(m).forEach(h -> genotypes.add(h.genotype()));
      mo.add("genotypes", genotypes);
      double[][] q = anytime(m);
      JsonObject curve = new JsonObject();
      curve.add("q1", array(q[0]));
      curve.add("median", array(q[1]));
      curve.add("q3", array(q[2]));
      mo.add("anytime", curve);
      mo.add("psi_tau_second_half", array(runs.get(m).stream().mapToDouble(LabelHistory::heldOutTauSecondHalf).toArray()));
      methods.add(RunJson.text(m), mo);
    }
    o.add("methods", methods);
    JsonArray pairs = new JsonArray();
    for (Paired p : paired()) {
      JsonObject po = new JsonObject();
      po.addProperty("method", RunJson.text(p.method()));
      po.addProperty("baseline", RunJson.text(p.baseline()));
      po.addProperty("lower_in_seeds", p.lower());
      po.addProperty("higher_in_seeds", p.higher());
      po.addProperty("seeds", p.n());
      po.addProperty("median_difference", p.medianDifference());
      po.addProperty("wilcoxon_w_plus", p.test().wPlus());
      po.addProperty("wilcoxon_p_lower", p.test().pLess());
      po.addProperty("wilcoxon_p_two_sided", p.test().pTwoSided());
      pairs.add(po);
    }
    o.add("paired", pairs);
    return o;
  }

  /** A Markdown table of the returned genotypes' labels and the paired tests (comparison.md). */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder("| seed |");
    for (Method m : plan.methods()) sb.append(' ').append(RunJson.text(m)).append(" |");
    sb.append("\n|---|").append("---|".repeat(plan.methods().size())).append('\n');
    for (int s = 0; s < seeds.size(); s++) {
      sb.append("| ").append(seeds.get(s)).append(" |");
      for (Method m : plan.methods()) sb.append(String.format(Locale.ROOT, " %.4f |", runs.get(m).get(s).finalLabel()));
      sb.append('\n');
    }
    sb.append("| median |");
    for (Method m : plan.methods()) sb.append(String.format(Locale.ROOT, " %.4f |", quantile(finalLabels(m), 0.5)));
    sb.append("\n\n");
    for (Paired p : paired()) {
      sb.append(String.format(Locale.ROOT, "- %s vs %s: lower in %d of %d seeds (higher in %d), median difference %+.4f, Wilcoxon W+ = %.1f, "
          + "p (lower) = %.4f, p (two-sided) = %.4f%n", RunJson.text(p.method()), RunJson.text(p.baseline()), p.lower(), p.n(), p.higher(),
          p.medianDifference(), p.test().wPlus(), p.test().pLess(), p.test().pTwoSided()));
    }
    return sb.toString();
  }

  /** Writes comparison.json and comparison.md into dir. */
  public void write(Path dir) throws IOException {
    Files.writeString(dir.resolve("comparison.json"), RunJson.PRETTY.toJson(toJson()));
    Files.writeString(dir.resolve("comparison.md"), toMarkdown());
  }

  /** The q-quantile by linear interpolation between order statistics (R's type 7); NaN for none. */
  static double quantile(double[] values, double q) {
    if (values.length == 0) return Double.NaN;
    double[] v = values.clone();
    Arrays.sort(v);
    double at = q * (v.length - 1);
    int lo = (int) Math.floor(at);
    int hi = Math.min(lo + 1, v.length - 1);
    return v[lo] + (at - lo) * (v[hi] - v[lo]);
  }

  private static JsonArray array(double[] v) {
    JsonArray a = new JsonArray();
    for (double x : v) a.add(x);
    return a;
  }
}
