package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.space.CellType;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import dev.pvll.space.RandomGenotypes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegularizedEvolutionTest {
  /** A landscape with one optimum: the loss counts genes that are not sep_conv_3x3 on input 0 or 1. */
  static double landscape(Genotype g) {
    double loss = 0;
    for (CellType cell : CellType.values()) {
      for (Gene gene : g.genes(cell)) loss += gene.op() == Primitive.SEP_CONV_3X3 && gene.input() < 2 ? 0 : 1;
    }
    return loss;
  }

  @Test
  void afterTheRandomPopulationEveryProposalIsOneMutationOfAMember() {
    RegularizedEvolution re = new RegularizedEvolution(new RegularizedEvolution.Options(10, 3), 4, 5);
    Set<String> alive = new HashSet<>();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Genotype g = re.propose();
      if (i >= 10) {
        boolean oneAway = alive.stream().map(Genotype::parse).anyMatch(m -> genesDiffering(m, g) == 1);
        assertTrue(oneAway, "proposal " + i + " is one mutation of a living member");
      }
      re.tell(g, landscape(g));
      order.add(g.toDartsString());
      alive.add(g.toDartsString());
      if (order.size() > 10) alive.remove(order.get(order.size() - 11)); // the oldest leaves
    }
    assertEquals(60, re.answered());
  }

  @Test
  void beatsRandomSearchOnASmoothLandscapeWithTheSameBudget() {
    int wins = 0;
    for (long seed = 1; seed <= 10; seed++) {
      RegularizedEvolution re = new RegularizedEvolution(RegularizedEvolution.Options.defaults(), 4, seed);
      double bestRe = Double.POSITIVE_INFINITY, bestRandom = Double.POSITIVE_INFINITY;
      Random r = new Random(seed);
      for (int i = 0; i < 200; i++) {
        Genotype g = re.propose();
        double l = landscape(g);
        re.tell(g, l);
        bestRe = Math.min(bestRe, l);
        bestRandom = Math.min(bestRandom, landscape(RandomGenotypes.sample(r, 4)));
      }
      if (bestRe < bestRandom) wins++;
    }
    assertTrue(wins >= 9, "regularized evolution beat random search in " + wins + " of 10 seeds");
  }

  @Test
  void aRestoredStateContinuesExactly() {
    RegularizedEvolution a = new RegularizedEvolution(RegularizedEvolution.Options.defaults(), 4, 9);
    for (int i = 0; i < 30; i++) {
      Genotype g = a.propose();
      a.tell(g, landscape(g));
    }
    RegularizedEvolution b = RegularizedEvolution.restore(a.state());
    for (int i = 0; i < 30; i++) {
      Genotype ga = a.propose(), gb = b.propose();
      assertEquals(ga, gb, "proposal " + i + " after the restore");
      a.tell(ga, landscape(ga));
      b.tell(gb, landscape(gb));
    }
  }

  @Test
  void badOptionsAndLabelsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RegularizedEvolution.Options(1, 1));
    assertThrows(IllegalArgumentException.class, () -> new RegularizedEvolution.Options(10, 11));
    RegularizedEvolution re = new RegularizedEvolution(RegularizedEvolution.Options.defaults(), 4, 1);
    assertThrows(IllegalArgumentException.class, () -> re.tell(re.propose(), Double.NaN));
  }

  private static int genesDiffering(Genotype a, Genotype b) {
    int n = 0;
    for (CellType cell : CellType.values()) {
      for (int k = 0; k < a.genes(cell).size(); k++) if (!a.genes(cell).get(k).equals(b.genes(cell).get(k))) n++;
    }
    return n;
  }
}
