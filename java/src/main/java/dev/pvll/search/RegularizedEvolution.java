package dev.pvll.search;

import dev.pvll.space.Genotype;
import dev.pvll.space.GenotypeMutation;
import dev.pvll.space.RandomGenotypes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Regularized (aging) evolution, Real et al. 2019, Algorithm 1, over DARTS genotypes as an
 * ask-tell searcher: the first {@code population} proposals are uniformly random genotypes;
 * after that each proposal is a mutation ({@link GenotypeMutation}) of the best of
 * {@code sampleSize} members drawn uniformly with replacement from the population, and each
 * answer joins the population while its oldest member leaves. Lower labels are better (validation
 * losses). Everything random comes from one {@link SplitMix64}, so a state restores exactly.
 */
public final class RegularizedEvolution {
  /**
   * @param population members kept (P; 20)
   * @param sampleSize tournament size (S; 5)
   */
  public record Options(int population, int sampleSize) {
    public Options {
      if (population < 2) throw new IllegalArgumentException("regularized evolution: population must be >= 2, got " + population);
      if (sampleSize < 1 || sampleSize > population) {
        throw new IllegalArgumentException("regularized evolution: sample size must be in [1, population], got " + sampleSize);
      }
    }

    /** P = 20, S = 5: a population small enough for budgets of a few hundred labels. */
    public static Options defaults() {
      return new Options(20, 5);
    }
  }

  /** A measured genotype (DARTS text, so that the state serialises as plain JSON). */
  public record Member(String genotype, double label) {
    Genotype parsed() {
      return Genotype.parse(genotype);
    }
  }

  /** Everything needed to continue exactly: the population, oldest first, and the random state. */
  public record State(Options options, int nodes, long random, List<Member> population, int answered) {}

  private final Options options;
  private final int nodes;
  private final SplitMix64 random;
  private final ArrayDeque<Member> population = new ArrayDeque<>();
  private int answered;

  /** A searcher over genotypes of cells with {@code nodes} intermediate nodes, drawing from seed. */
  public RegularizedEvolution(Options options, int nodes, long seed) {
    this.options = options;
    this.nodes = nodes;
    this.random = new SplitMix64(seed);
  }

  /** The next genotype to measure. */
  public Genotype propose() {
    if (answered < options.population()) return RandomGenotypes.sample(new Random(random.nextLong()), nodes);
    List<Member> members = new ArrayList<>(population);
    Member parent = null;
    for (int i = 0; i < options.sampleSize(); i++) {
      Member m = members.get(random.nextInt(members.size()));
      if (parent == null || m.label() < parent.label()) parent = m;
    }
    return GenotypeMutation.mutate(parent.parsed(), random::nextInt);
  }

  /** The label of a proposed genotype: it joins the population, the oldest member leaves a full one. */
  public void tell(Genotype genotype, double label) {
    if (!Double.isFinite(label)) throw new IllegalArgumentException("regularized evolution: label must be finite, got " + label);
    if (population.size() == options.population()) population.removeFirst();
    population.addLast(new Member(genotype.toDartsString(), label));
    answered++;
  }

  /** The best member alive (aging evolution's answer is the best ever measured: keep that outside). */
  public Member bestAlive() {
    return population.stream().min(Comparator.comparingDouble(Member::label)).orElse(null);
  }

  /** Answers received. */
  public int answered() {
    return answered;
  }

  public State state() {
    return new State(options, nodes, random.state(), List.copyOf(population), answered);
  }

  /** A searcher continuing exactly where state left off. */
  public static RegularizedEvolution restore(State s) {
    RegularizedEvolution e = new RegularizedEvolution(s.options(), s.nodes(), 0);
    e.random.setState(s.random());
    e.population.addAll(s.population());
    e.answered = s.answered();
    return e;
  }
}
