package dev.pvll.search;

/** The search methods {@link SearchEngine} runs, one {@link SearchStrategy} each. */
public enum Method {
  /** METHOD.md: architectures sampled around A, labels fitted by psi, A stepped through psi. */
  PVLL,
  /** The same schedule with uniform samples, no psi, keeping the best measured architecture. */
  RANDOM,
  /**
   * GDAS: a weight step and a straight-through step of A on the validation loss every batch, tau
   * annealed from 10 to 0.1, for as many supernet epochs as the PVLL schedule trains.
   */
  GDAS,
  /**
   * Regularized (aging) evolution (Real et al. 2019) on the same schedule and labels: the warm-up's
   * N labelled genotypes seed the population, each step mutates the best of a tournament; needs
   * genotype draws. Returns its best measured genotype.
   */
  EVOLUTION
}
