package dev.pvll.search;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.space.Genotype;
import dev.pvll.space.GenotypeMutation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
  /** Mixed into the run's seed for the mutation proposals' random stream (one stream per step, so a resumed run repeats them). */
  private static final long MUTATION_STREAM = 0x3C6EF372FE94F82BL;
  /** Mutation proposals mutate one of the memory's this many best measured genotypes. */
  private static final int PARENTS = 5;

  private final SearchConfig config;
  private final Architect architect;
  private final ProxyLandscape landscape;
  /** The step's draw from A that psi ranked best (A steps there); set by {@link #propose}. */
  private Architecture bestDraw;

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
   * proposal per step, the step's draw and {@code proposals - 1} more are scored by psi; with
   * mutations, so are that many single mutations of the memory's best measured genotypes. The
   * lowest prediction among those not yet measured is labelled (ties: the earliest candidate, A's
   * draws first). A steps at its own best draw ({@link #learn}), whichever candidate is labelled.
   */
  @Override
  Architecture propose(int step) {
    Architecture first = architect.sampleAt(config.schedule().warmup() + (long) step);
    int k = config.architecture().proposals(), mutations = config.architecture().mutations();
    if (k == 1 && mutations == 0) {
      bestDraw = first;
      return first;
    }
    List<Architecture> candidates = new ArrayList<>(k + mutations);
    candidates.add(first);
    for (int j = 1; j < k; j++) candidates.add(architect.sampleAt(PROPOSAL_DRAWS + (long) step * k + j));
    Map<Genotype, Double> measured = mutations == 0 ? Map.of() : landscape.measuredGenotypes();
    List<Genotype> parents = ProxyLandscape.best(measured, PARENTS);
    SplitMix64 random = new SplitMix64(config.seed() ^ MUTATION_STREAM ^ (0x9E3779B97F4A7C15L * (step + 1)));
    for (int j = 0; j < mutations && !parents.isEmpty(); j++) {
      candidates.add(Architecture.of(architect.encoding(), GenotypeMutation.mutate(parents.get(random.nextInt(parents.size())), random::nextInt)));
    }
    double[] predicted = new double[candidates.size()];
    boolean[] known = new boolean[candidates.size()];
    for (int i = 0; i < predicted.length; i++) {
      predicted[i] = landscape.psi().predict(candidates.get(i).weights());
      known[i] = !measured.isEmpty() && measured.containsKey(architect.encoding().genotype(candidates.get(i).weights()));
    }
    bestDraw = candidates.get(lowest(Arrays.copyOf(predicted, k), new boolean[k]));
    return candidates.get(lowest(predicted, known));
  }

  /**
   * The index of the lowest prediction among the candidates not yet measured (a measured
   * genotype's label is known: measuring it again on frozen weights wastes a label); ties and the
   * case where all are measured: the earliest.
   */
  static int lowest(double[] predicted, boolean[] measured) {
    int best = -1;
    for (int i = 0; i < predicted.length; i++) {
      if (!measured[i] && (best < 0 || predicted[i] < predicted[best])) best = i;
    }
    return Math.max(best, 0);
  }

  @Override
  void learn(Architecture a, double label, JsonObject line) {
    line.addProperty("psi_prediction", landscape.predictHeldOut(a, label));
    PredictorTrainer.RefitResult fit = landscape.trainer().refit(landscape.memory());
    line.addProperty("memory_tau", fit.tau());
    line.addProperty("psi_passes", fit.passes());
    Architect.StepResult step = architect.step(landscape.psi(), bestDraw != null ? bestDraw : a);
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
