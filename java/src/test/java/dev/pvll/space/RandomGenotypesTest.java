package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomGenotypesTest {
  @Test
  void sameSeedSameGenotypes() {
    long seed = Seeds.next();
    Random a = new Random(seed);
    Random b = new Random(seed);
    for (int i = 0; i < 20; i++) assertEquals(RandomGenotypes.sample(a, 4), RandomGenotypes.sample(b, 4));
    assertNotEquals(RandomGenotypes.sample(new Random(1), 4), RandomGenotypes.sample(new Random(2), 4));
  }

  @Test
  void samplesAreWellFormedWithDistinctInputs() {
    Random r = new Random(Seeds.next());
    for (int i = 0; i < 500; i++) {
      int nodes = 1 + r.nextInt(6);
      Genotype g = RandomGenotypes.sample(r, nodes);
      assertEquals(nodes, g.nodes());
      assertEquals(Genotype.defaultConcat(nodes), g.normalConcat());
      for (CellType c : CellType.values()) {
        List<Gene> genes = g.genes(c);
        for (int j = 0; j < nodes; j++) {
          assertNotEquals(genes.get(2 * j).input(), genes.get(2 * j + 1).input());
        }
        // Distinct inputs mean a one-hot supernet architecture exists for every sample.
        assertEquals(2 * nodes, java.util.Arrays.stream(g.edgeOps(c)).filter(p -> p != Primitive.NONE).count());
      }
    }
  }

  @Test
  void inputPairsAndOpsAreUniform() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    int samples = 40_000;
    int[][] pairs = new int[5][5]; // node 5 (last of 4): inputs 0..4, 20 ordered pairs
    int[] ops = new int[Primitive.COUNT];
    for (int i = 0; i < samples; i++) {
      List<Gene> cell = RandomGenotypes.sampleCell(r, 4);
      pairs[cell.get(6).input()][cell.get(7).input()]++;
      for (Gene g : cell) ops[g.op().index()]++;
    }
    assertEquals(0, ops[Primitive.NONE.index()]);
    double expectPair = samples / 20.0;
    for (int a = 0; a < 5; a++) {
      for (int b = 0; b < 5; b++) {
        if (a == b) {
          assertEquals(0, pairs[a][b]);
        } else {
          // 6 standard deviations of a binomial count: fails by chance about once in 10^8 runs.
          double sd = Math.sqrt(samples * (1 / 20.0) * (19 / 20.0));
          assertTrue(Math.abs(pairs[a][b] - expectPair) < 6 * sd, "seed " + seed + " pair " + a + "," + b + ": " + pairs[a][b]);
        }
      }
    }
    int total = samples * 8;
    double sd = Math.sqrt(total * (1 / 7.0) * (6 / 7.0));
    for (int k = 1; k < Primitive.COUNT; k++) {
      assertTrue(Math.abs(ops[k] - total / 7.0) < 6 * sd, "seed " + seed + " op " + Primitive.at(k) + ": " + ops[k]);
    }
  }

  @Test
  void edgeOpsCoverEveryPrimitive() {
    Random r = new Random(Seeds.next());
    boolean[] seen = new boolean[Primitive.COUNT];
    for (int i = 0; i < 50; i++) {
      Primitive[] ops = RandomGenotypes.sampleEdgeOps(r, 4);
      assertEquals(14, ops.length);
      for (Primitive p : ops) seen[p.index()] = true;
    }
    for (boolean s : seen) assertTrue(s);
  }
}
