package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.run.SearchRun;
import dev.pvll.space.Genotype;
import dev.pvll.testing.RunFiles;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny searches with genotype draws on frozen labels: every label belongs to a genotype, the
 * ranked final rule returns the best of its re-measured finalists (with frozen labels a
 * re-measurement repeats the label exactly), evolution's steps mutate measured genotypes, and both
 * resume exactly from any unit.
 */
class GenotypeDrawSearchTest {
  @TempDir Path tmp;
  private static final Dataset TRAIN = Datasets.embeddedFashionMnist();

  static SearchConfig config(Method method) {
    SearchConfig c = SearchPresets.tiny().withLabelMode(LabelMode.FROZEN);
    return c.withArchitecture(c.architecture().withDraw(Architect.Draw.GENOTYPE))
        .withFinalGenotype(c.finalGenotype().withRule(FinalRule.RANKED))
        .withEvolution(new SearchConfig.Evolution(3, 2)).withMethod(method);
  }

  @Test
  void theRankedRuleReturnsItsBestFinalistAndWhatWasMeasuredIsWhatIsReturned() throws Exception {
    SearchEngine.Result r;
    try (SearchRun run = SearchRun.start(config(Method.PVLL), TRAIN, tmp.resolve("pvll"))) {
      r = run.run(null);
    }
    List<JsonObject> log = RunFiles.logWithoutTimes(tmp.resolve("pvll"));
    JsonObject fin = log.get(log.size() - 1);
    double best = Double.POSITIVE_INFINITY;
    String bestGenotype = null;
    for (JsonElement e : fin.getAsJsonArray("finalists")) {
      double l = e.getAsJsonObject().get("val_loss").getAsDouble();
      if (l < best) {
        best = l;
        bestGenotype = e.getAsJsonObject().get("genotype").getAsString();
      }
    }
    assertEquals(best, r.finalValidationLoss(), 0.0, "the final label is the best finalist's");
    assertEquals(bestGenotype, r.genotype().toDartsString());
    // the best measured genotype is a finalist, and re-measured on frozen weights its label repeats exactly
    assertTrue(r.finalValidationLoss() <= r.bestMeasuredLoss(), "final " + r.finalValidationLoss() + " vs best measured " + r.bestMeasuredLoss());
    assertTrue(fin.getAsJsonArray("finalists").toString().contains(Double.toString(r.bestMeasuredLoss())),
        "the best measured label reappears among the finalists");
    assertTrue(fin.getAsJsonArray("finalists").size() >= 3, "measured and drawn finalists");
  }

  @Test
  void evolutionsStepsAreMutationsOfMeasuredGenotypes() throws Exception {
    try (SearchRun run = SearchRun.start(config(Method.EVOLUTION), TRAIN, tmp.resolve("evolution"))) {
      run.run(null);
    }
    Set<Genotype> measured = new HashSet<>();
    ArchEncoding enc = ArchEncoding.DARTS;
    for (JsonObject line : RunFiles.logWithoutTimes(tmp.resolve("evolution"))) {
      if (!line.has("architecture") || !line.get("architecture").isJsonObject()) continue;
      Genotype g = genotypeOf(line);
      if (line.get("phase").getAsString().equals("search")) {
        assertTrue(measured.stream().anyMatch(m -> differingGenes(m, g) == 1), "a search step mutates one gene of a measured genotype");
      }
      measured.add(g);
    }
    assertEquals(3 + 4, measured.size(), "warm-up and search labels, all distinct genotypes");
  }

  /** PVLL as the one-shot preset runs it: a kernel psi picking among draws from A and mutations of the best measured genotypes. */
  static SearchConfig withMutations() {
    SearchConfig c = config(Method.PVLL);
    return c.withPsi(c.psi().withPredictor(PredictorKind.KERNEL)).withArchitecture(c.architecture().withProposals(3).withMutations(4));
  }

  @Test
  void mutationProposalsRunWithPsiScoringEveryLabelFirst() throws Exception {
    try (SearchRun run = SearchRun.start(withMutations(), TRAIN, tmp.resolve("mutations"))) {
      run.run(null);
    }
    Set<Genotype> measured = new HashSet<>();
    int searchLabels = 0;
    for (JsonObject line : RunFiles.logWithoutTimes(tmp.resolve("mutations"))) {
      if (!line.has("architecture") || !line.get("architecture").isJsonObject()) continue;
      Genotype g = genotypeOf(line);
      if (line.get("phase").getAsString().equals("search")) {
        searchLabels++;
        assertTrue(!measured.contains(g), "search step " + searchLabels + " measured a genotype already in the memory");
        assertTrue(line.has("psi_prediction"), "psi scored the label before seeing it");
      }
      measured.add(g);
    }
    assertTrue(searchLabels >= 3, "search labels: " + searchLabels);
  }

  @Test
  void mutationsNeedGenotypeDraws() {
    SearchConfig c = SearchPresets.tiny();
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> c.withArchitecture(c.architecture().withMutations(2)));
    assertTrue(e.getMessage().contains("architecture.mutations") && e.getMessage().contains("architecture.draw"), e.getMessage());
    e = assertThrows(InvalidSettingException.class, () -> c.withArchitecture(c.architecture().withDraw(Architect.Draw.GENOTYPE).withMutations(-1)));
    assertTrue(e.getMessage().contains("architecture.mutations"), e.getMessage());
  }

  @Test
  void genotypeSearchesResumeExactly() throws Exception {
    for (Method m : List.of(Method.PVLL, Method.EVOLUTION, Method.RANDOM, Method.PVLL)) {
      SearchConfig c = m == Method.PVLL && tmp.resolve("whole-" + m).toFile().exists() ? withMutations() : config(m);
      SearchEngine.Result reference;
      Path whole = tmp.resolve("whole-" + m + (c.architecture().mutations() > 0 ? "-mutations" : ""));
      try (SearchRun run = SearchRun.start(c, TRAIN, whole)) {
        reference = run.run(null);
      }
      List<JsonObject> log = RunFiles.logWithoutTimes(whole);
      for (int stop : new int[] {7, 11, 14}) {
        StopAndResume.assertMatchesUninterrupted(c, TRAIN, whole.resolveSibling(whole.getFileName() + "-stop" + stop), stop, reference, log);
      }
    }
  }

  @Test
  void kernelPsiSearchesResumeExactly() throws Exception {
    SearchConfig c = withMutations();
    c = c.withPsi(c.psi().withPredictor(PredictorKind.KERNEL));
    Path whole = tmp.resolve("whole-kernel");
    SearchEngine.Result reference;
    try (SearchRun run = SearchRun.start(c, TRAIN, whole)) {
      reference = run.run(null);
    }
    List<JsonObject> log = RunFiles.logWithoutTimes(whole);
    for (int stop : new int[] {7, 12}) {
      StopAndResume.assertMatchesUninterrupted(c, TRAIN, whole.resolveSibling("kernel-stop" + stop), stop, reference, log);
    }
  }

  @Test
  void settingsThatNeedGenotypeDrawsSaySo() {
    SearchConfig c = SearchPresets.tiny();
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> c.withMethod(Method.EVOLUTION));
    assertTrue(e.getMessage().contains("architecture.draw"), e.getMessage());
    assertThrows(InvalidSettingException.class, () -> c.withFinalGenotype(c.finalGenotype().withRule(FinalRule.RANKED)));
    SearchConfig g = c.withArchitecture(c.architecture().withDraw(Architect.Draw.GENOTYPE));
    assertThrows(InvalidSettingException.class, () -> g.withMethod(Method.GDAS));
  }

  /** The genotype of a log line's architecture (ops of the kept edges; dropped edges are none). */
  private static Genotype genotypeOf(JsonObject line) {
    JsonObject a = line.getAsJsonObject("architecture");
    double[] h = new double[ArchEncoding.DARTS.size()];
    int row = 0;
    for (String cell : new String[] {"normal", "reduce"}) {
      for (JsonElement op : a.getAsJsonArray(cell)) h[ArchEncoding.DARTS.index(row++, dev.pvll.space.Primitive.byName(op.getAsString()).ordinal())] = 1;
    }
    return ArchEncoding.DARTS.genotype(h);
  }

  private static int differingGenes(Genotype a, Genotype b) {
    int n = 0;
    for (int k = 0; k < a.normal().size(); k++) {
      if (!a.normal().get(k).equals(b.normal().get(k))) n++;
      if (!a.reduce().get(k).equals(b.reduce().get(k))) n++;
    }
    return n;
  }
}
