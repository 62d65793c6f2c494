package dev.pvll.search;

import dev.pvll.space.Genotype;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proxy validation loss landscape (METHOD.md "Memory and psi"): the memory M of (H, L) pairs,
 * the predictor psi fitted on it, and psi's held-out record: each label's prediction made before
 * psi was refitted on it. Every method fills M (the report maps it); PVLL fits and follows psi.
 */
final class ProxyLandscape {
  private Memory memory;
  private final ArchEncoding encoding;
  private final PredictorTrainer psi;
  private final List<Double> heldOutPredictions = new ArrayList<>();
  private final List<Double> heldOutLabels = new ArrayList<>();

  /** Memory of the configured capacity and psi of the configured kind, its weights and minibatch order from seed. */
  ProxyLandscape(SearchConfig.Psi config, ArchEncoding encoding, long seed) {
    this.encoding = encoding;
    memory = new Memory(config.memoryCapacity());
    psi = new PredictorTrainer(config.predictor().create(encoding, seed, config.memoryCapacity()), PredictorTrainer.Options.defaults()
        .withLoss(config.weightedLoss() ? PredictorTrainer.Loss.WEIGHTED : PredictorTrainer.Loss.MSE)
        .withAdam(Adam.Options.of(config.lr(), 0.5, 0.999, 0))
        .withMaxPasses(config.passes())
        .withStopTau(config.stopTau()), seed);
  }

  /** Back to what a checkpoint recorded. */
  void restore(PredictorTrainer.State psiState, Memory.State memoryState, double[] predictions, double[] labels) {
    psi.restore(psiState);
    memory = Memory.fromState(memoryState);
    heldOutPredictions.clear();
    heldOutLabels.clear();
    for (double v : predictions) heldOutPredictions.add(v);
    for (double v : labels) heldOutLabels.add(v);
  }

  Memory memory() {
    return memory;
  }

  Predictor psi() {
    return psi.predictor();
  }

  PredictorTrainer trainer() {
    return psi;
  }

  /** Every genotype M holds with its lowest label, in the order first measured. */
  Map<Genotype, Double> measuredGenotypes() {
    Map<Genotype, Double> out = new LinkedHashMap<>();
    for (Memory.Entry e : memory.entries()) out.merge(encoding.genotype(e.h()), e.label(), Math::min);
    return out;
  }

  /** The {@code count} lowest-labelled of {@link #measuredGenotypes}, best first (ties: the first measured). */
  static List<Genotype> best(Map<Genotype, Double> measured, int count) {
    return measured.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(count).map(Map.Entry::getKey).toList();
  }

  /** Appends a label to M (the oldest drops out at capacity). */
  void add(Architecture a, double label) {
    memory.add(a.weights(), label);
  }

  /** psi's prediction for a, recorded as held out: call it before psi sees a's label. */
  double predictHeldOut(Architecture a, double label) {
    double p = psi.predictor().predict(a.weights());
    heldOutPredictions.add(p);
    heldOutLabels.add(label);
    return p;
  }

  /** Kendall tau of psi's held-out predictions against their labels (NaN before two). */
  double heldOutTau() {
    if (heldOutLabels.size() < 2) return Double.NaN;
    return KendallTau.tau(toArray(heldOutPredictions), toArray(heldOutLabels));
  }

  /** The same over the second half of the held-out pairs ({@link KendallTau#secondHalf}). */
  double heldOutTauSecondHalf() {
    return KendallTau.secondHalf(toArray(heldOutPredictions), toArray(heldOutLabels));
  }

  double[] heldOutPredictions() {
    return toArray(heldOutPredictions);
  }

  double[] heldOutLabels() {
    return toArray(heldOutLabels);
  }

  private static double[] toArray(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
