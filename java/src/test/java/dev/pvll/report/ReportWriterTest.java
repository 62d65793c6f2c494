package dev.pvll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.compare.Comparison;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchPresets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search report of a tiny real search: one held-out tau everywhere, an honest entropy map. */
class ReportWriterTest {
  @TempDir Path tmp;

  @Test
  void thePsiPlotAndTheSummaryCardShowOneTauAndAStillSamplerIsCalledSo() throws Exception {
    Path run = tmp.resolve("run");
    try (SearchRun search = SearchRun.start(SearchPresets.tiny(), Datasets.embeddedFashionMnist(), run)) {
      search.run(null);
    }
    String html = Files.readString(ReportWriter.write(run));
    JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    String all = String.format(Locale.ROOT, "%.4f", summary.get("held_out_kendall_tau").getAsDouble());
    String secondHalf = String.format(Locale.ROOT, "%.4f", summary.get("held_out_kendall_tau_second_half").getAsDouble());
    assertTrue(html.contains("psi held-out Kendall tau, all search steps / second half"), "the summary card");
    assertTrue(html.contains(all + " / " + secondHalf), "the card shows the summary's taus " + all + " / " + secondHalf);
    assertTrue(html.contains("held-out Kendall tau " + all + ", second half " + secondHalf + ": each label"),
        "the psi figure shows the same taus " + all + ", " + secondHalf);
    // a summary written before the second-half figure existed: the card computes it from the log
    summary.remove("held_out_kendall_tau_second_half");
    Files.writeString(run.resolve("summary.json"), summary.toString());
    assertTrue(Files.readString(ReportWriter.write(run)).contains(all + " / " + secondHalf), "an older summary's card");
    // four steps at METHOD.md's architecture learning rate barely move A
    assertTrue(html.contains("a negligible range, the sampler stayed where it started"), "the entropy map says the range is negligible");
    assertTrue(Files.size(run.resolve("entropy.png")) > 0 && Files.size(run.resolve("psi.png")) > 0);
  }

  @Test
  void theHeldOutTauIsTheTauOfEveryStepsPairNotTheLastLinesLaggingField() {
    // predictions 1..4 against labels 1, 2, 4, 3: 5 concordant and 1 discordant pairs, tau = 4/6
    double[][] pairs = {{1, 1}, {2, 2}, {3, 4}, {4, 3}};
    List<JsonObject> lines = new java.util.ArrayList<>();
    for (double[] p : pairs) {
      JsonObject o = new JsonObject();
      o.addProperty("psi_prediction", p[0]);
      o.addProperty("val_loss", p[1]);
      o.addProperty("kendall_tau", 1.0); // the engine's running figure, one pair behind
      lines.add(o);
    }
    assertEquals(4.0 / 6, ReportWriter.heldOutTau(lines)[0], 1e-12);
    // the second half is the pairs (3, 4) and (4, 3): discordant
    assertEquals(-1.0, ReportWriter.heldOutTau(lines)[1], 1e-12);
  }

  @Test
  void aComparisonsPageDrawsTheAnytimeCurvesAndThePairedTests() throws Exception {
    SearchConfig c = SearchPresets.tiny().withLabelMode(LabelMode.FROZEN);
    c = c.withArchitecture(c.architecture().withDraw(Architect.Draw.GENOTYPE))
        .withFinalGenotype(c.finalGenotype().withRule(FinalRule.RANKED).withFinalists(1));
    Path dir = tmp.resolve("cmp");
    Comparison.start(new Comparison.Plan(c, List.of(1L, 2L), List.of(Method.PVLL, Method.RANDOM)), Datasets.embeddedFashionMnist(), dir,
        new Comparison.Listener() {
          @Override
          public void stage(String what) {}

          @Override
          public void unitDone(String phase, int unit, int totalUnits, JsonObject logLine, double elapsedSeconds) {}
        });
    String html = Files.readString(ReportWriter.write(dir));
    assertTrue(html.contains("anytime.png") && Files.size(dir.resolve("anytime.png")) > 0, "the anytime curves");
    assertTrue(html.contains("pvll vs random: lower in"), "the paired comparison");
    assertTrue(html.contains("Wilcoxon"), "the test");
    // a method run without psi (random search) gets no psi card and no psi plot; PVLL's run has both
    String random = Files.readString(ReportWriter.write(dir.resolve("seed-1").resolve("random")));
    assertTrue(random.contains("best measured in the run"), "random search's summary card");
    assertTrue(!random.contains("psi held-out Kendall tau") && !random.contains("psi.png"), "no psi figures for a run without psi");
    assertTrue(!Files.exists(dir.resolve("seed-1").resolve("random").resolve("psi.png")), "no psi plot written");
    String pvll = Files.readString(ReportWriter.write(dir.resolve("seed-1").resolve("pvll")));
    assertTrue(pvll.contains("psi held-out Kendall tau") && pvll.contains("psi.png"), "PVLL's run keeps its psi figures");
  }
}
