package dev.pvll.search;

import com.google.gson.JsonObject;
import dev.pvll.space.Genotype;

/**
 * Random search on PVLL's schedule (same compute): uniform samples (the architect draws with
 * {@link Architect.Sampler#UNIFORM}), no psi and no architecture steps; the genotype is the DARTS
 * rule on the best measured sample's H.
 */
final class RandomStrategy extends SamplingStrategy {
  private final int warmup;
  private final Architect architect;
  private final BestMeasured best;

  RandomStrategy(SearchConfig config, Architect architect, BestMeasured best, Labeller labeller) {
    super(config.schedule().steps(), labeller);
    this.warmup = config.schedule().warmup();
    this.architect = architect;
    this.best = best;
  }

  @Override
  Architecture propose(int step) {
    return architect.sampleAt(warmup + (long) step);
  }

  /** The label is already in the memory and the best measured: nothing to learn. */
  @Override
  void learn(Architecture a, double label, JsonObject line) {}

  @Override
  public Genotype genotype() {
    return architect.encoding().genotype(best.h() != null ? best.h() : architect.alpha());
  }
}
