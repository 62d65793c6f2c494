package dev.pvll.search;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.pvll.space.Genotype;

/**
 * PVLL-NAS (METHOD.md): each step samples H around A, and after its label psi scores it (before
 * seeing the label: the held-out record), is refitted on the memory, and A takes one Adam step on
 * psi(H(A))^2. The genotype is the DARTS rule on A.
 */
final class PvllStrategy extends SamplingStrategy {
  /** First draw counter of the final rule's candidates (above the warm-up's, the search's and the per-batch draws). */
  private static final long FINAL_DRAWS = 1L << 50;
  /** First draw counter of the extra proposals of the search steps (between the per-batch draws and the final rule's). */
  private static final long PROPOSAL_DRAWS = 1L << 45;

  private final SearchConfig config;
  private final Architect architect;
  private final ProxyLandscape landscape;

  PvllStrategy(SearchConfig config, Architect architect, ProxyLandscape landscape, Labeller labeller) {
    super(config.schedule().steps(), labeller);
    this.config = config;
    this.architect = architect;
    this.landscape = landscape;
  }

  /** METHOD.md step 3: psi's warm-up fit on the warm-up labels, every pass (no early stop). */
  @Override
  public void warmupDone() {
    if (!landscape.memory().isEmpty()) landscape.trainer().refit(landscape.memory(), config.psi().passes(), 2.0);
  }

  /**
   * Draws after the warm-up's N: the search's samples are fresh architectures. With more than one
   * proposal per step, the step's draw and {@code proposals - 1} more are scored by psi and the
   * lowest prediction is labelled (ties: the earliest draw).
   */
  @Override
  Architecture propose(int step) {
    Architecture best = architect.sampleAt(config.schedule().warmup() + (long) step);
    int k = config.architecture().proposals();
    if (k == 1) return best;
    double bestPrediction = landscape.psi().predict(best.weights());
    for (int j = 1; j < k; j++) {
      Architecture a = architect.sampleAt(PROPOSAL_DRAWS + (long) step * k + j);
      double p = landscape.psi().predict(a.weights());
      if (p < bestPrediction) {
        best = a;
        bestPrediction = p;
      }
    }
    return best;
  }

  @Override
  void learn(Architecture a, double label, JsonObject line) {
    line.addProperty("psi_prediction", landscape.predictHeldOut(a, label));
    PredictorTrainer.RefitResult fit = landscape.trainer().refit(landscape.memory());
    line.addProperty("memory_tau", fit.tau());
    line.addProperty("psi_passes", fit.passes());
    Architect.StepResult step = architect.step(landscape.psi(), a);
    line.addProperty("arch_objective", step.objective());
    line.addProperty("entropy", architect.meanSamplingEntropy());
    JsonArray perEdge = new JsonArray();
    for (double h : architect.samplingEntropies()) perEdge.add((float) h);
    line.add("entropy_per_edge", perEdge);
    line.addProperty("genotype", genotype().toDartsString());
  }

  /** Genotypes drawn from A for the ranked final rule, ranked by psi (lowest predicted loss first), distinct. */
  @Override
  public List<Genotype> finalCandidates(int drawn, int count) {
    Map<Genotype, Double> predicted = new LinkedHashMap<>();
    for (int i = 0; i < drawn; i++) {
      Architecture a = architect.sampleAt(FINAL_DRAWS + i);
      predicted.putIfAbsent(architect.encoding().genotype(a.weights()), landscape.psi().predict(a.weights()));
    }
    return predicted.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(count).map(Map.Entry::getKey).toList();
  }

  @Override
  public Genotype genotype() {
    return architect.encoding().genotype(architect.alpha());
  }
}
