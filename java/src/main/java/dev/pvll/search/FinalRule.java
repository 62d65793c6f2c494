package dev.pvll.search;

/** How the genotype a search returns is chosen ({@link SearchConfig.FinalGenotype}). */
public enum FinalRule {
  /**
   * METHOD.md: the DARTS rule on A (for every node the two edges with the strongest non-none op,
   * on each that op); random search and evolution: their best measured genotype.
   */
  DARTS_RULE,
  /**
   * Ours, with genotype draws: candidates are the genotypes the memory holds (measured) and, for
   * PVLL, genotypes drawn from A (unmeasured); the best measured ones by label and the best drawn
   * ones by psi are measured again on the final weights, and the best new label wins. So what is
   * returned is a genotype the search measured, chosen with what psi learned, instead of an
   * argmax of A that can keep edges the supernet never measured together.
   */
  RANKED
}
