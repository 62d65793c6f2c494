package dev.pvll.search;

import com.google.gson.JsonObject;
import dev.pvll.space.Genotype;

/**
 * Regularized (aging) evolution on the engine's schedule and labels ({@link RegularizedEvolution}):
 * the warm-up's N labelled genotypes seed the population, every search step labels the mutation of
 * a tournament's best; the genotype is the best measured one.
 */
final class EvolutionStrategy extends SamplingStrategy {
  /** Mixed into the run's seed for the evolution's own random stream. */
  private static final long STREAM = 0x5EEDE70L;

  private final ArchEncoding encoding;
  private final BestMeasured best;
  private RegularizedEvolution evolution;

  EvolutionStrategy(SearchConfig config, ArchEncoding encoding, BestMeasured best, Labeller labeller) {
    super(config.schedule().steps(), labeller);
    this.encoding = encoding;
    this.best = best;
    SearchConfig.Evolution e = config.evolution();
    evolution = new RegularizedEvolution(new RegularizedEvolution.Options(e.population(), e.tournament()), encoding.nodes(),
        config.seed() ^ STREAM);
  }

  /** A warm-up genotype's label joins the population. */
  @Override
  public void warmupLabelled(Architecture a, double label) {
    evolution.tell(encoding.genotype(a.weights()), label);
  }

  @Override
  Architecture propose(int step) {
    return Architecture.of(encoding, evolution.propose());
  }

  @Override
  void learn(Architecture a, double label, JsonObject line) {
    evolution.tell(encoding.genotype(a.weights()), label);
    line.addProperty("genotype", genotype().toDartsString());
  }

  @Override
  public Genotype genotype() {
    return encoding.genotype(best.h() != null ? best.h() : new double[encoding.size()]);
  }

  @Override
  public RegularizedEvolution.State evolutionState() {
    return evolution.state();
  }

  @Override
  public void restoreEvolution(RegularizedEvolution.State state) {
    evolution = RegularizedEvolution.restore(state);
  }
}
