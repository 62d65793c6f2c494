package dev.pvll.search;

import com.google.gson.JsonObject;
import dev.pvll.space.Genotype;

/**
 * What a search method decides; {@link SearchEngine} runs the schedule around it (METHOD.md,
 * Algorithm 1): the warm-up population, the search steps, the final genotype's label. A method
 * that samples an architecture per step and learns from its label extends
 * {@link SamplingStrategy} and writes three methods.
 */
interface SearchStrategy {
  /** Whether the warm-up population (METHOD.md steps 1-3) precedes the search steps. */
  default boolean warmsUp() {
    return true;
  }

  /** A warm-up architecture's label, as it is measured (evolution: it joins the population). */
  default void warmupLabelled(Architecture a, double label) {}

  /** After the warm-up's labels are in the memory (PVLL: psi's warm-up fit). */
  default void warmupDone() {}

  /** Search steps of the run. */
  int steps();

  /** Runs search step {@code step} on the shared weights; returns its log line. */
  JsonObject step(int step);

  /** The genotype the search has found so far. */
  Genotype genotype();

  /**
   * With {@link FinalRule#RANKED}: up to {@code count} genotypes this method proposes beside the
   * measured ones, best first (PVLL: drawn from A, ranked by psi); none by default.
   */
  default java.util.List<Genotype> finalCandidates(int drawn, int count) {
    return java.util.List.of();
  }

  /** Evolution's population and random state for the checkpoint; null for other methods. */
  default RegularizedEvolution.State evolutionState() {
    return null;
  }

  /** Restores what {@link #evolutionState} recorded. */
  default void restoreEvolution(RegularizedEvolution.State state) {}
}
