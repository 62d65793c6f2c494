package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.space.GenotypeDerivation.Weighting;
import dev.pvll.testing.Seeds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GenotypeDerivationTest {
  private static final int EDGES = 14;

  /** A matrix that makes the DARTS rule return {@code genes}: first gene of a node strongest. */
  static float[][] matrixFor(List<Gene> genes, int nodes) {
    CellTopology t = CellTopology.of(nodes);
    float[][] a = new float[t.edges()][Primitive.COUNT];
    for (int i = 0; i < genes.size(); i++) {
      Gene g = genes.get(i);
      a[t.edgeIndex(2 + i / 2, g.input())][g.op().index()] = i % 2 == 0 ? 3f : 2f;
    }
    return a;
  }

  @Test
  void recoversPublishedGenotypesFromTheirMatrices() {
    for (Genotype g : List.of(Genotypes.DARTS_V1, Genotypes.DARTS_V2, Genotypes.PVLL_NAS)) {
      float[][] n = matrixFor(g.normal(), 4);
      float[][] r = matrixFor(g.reduce(), 4);
      assertEquals(g, GenotypeDerivation.derive(n, r, 4));
      assertEquals(g, GenotypeDerivation.derive(n, r, 4, Weighting.RAW));
    }
  }

  @Test
  void recoversRandomGenotypes() {
    long seed = Seeds.next();
    Random random = new Random(seed);
    for (int i = 0; i < 200; i++) {
      int nodes = 1 + random.nextInt(6);
      Genotype g = RandomGenotypes.sample(random, nodes);
      assertEquals(g, GenotypeDerivation.derive(matrixFor(g.normal(), nodes), matrixFor(g.reduce(), nodes), nodes), "seed " + seed);
    }
  }

  @Test
  void allTiesGoToTheLowerIndex() {
    float[][] zero = new float[EDGES][Primitive.COUNT];
    Genotype g = GenotypeDerivation.derive(zero, zero, 4);
    for (int node = 0; node < 4; node++) {
      assertEquals(new Gene(Primitive.MAX_POOL_3X3, 0), g.normal().get(2 * node));
      assertEquals(new Gene(Primitive.MAX_POOL_3X3, 1), g.normal().get(2 * node + 1));
    }
    assertEquals(g.normal(), g.reduce());
  }

  @Test
  void edgeTiesKeepTheLowerInputStrongestFirst() {
    CellTopology t = CellTopology.of(4);
    float[][] a = new float[EDGES][Primitive.COUNT];
    // Node 4 (inputs 0..3): inputs 1 and 3 tie at the top, input 2 just below.
    a[t.edgeIndex(4, 1)][Primitive.SEP_CONV_3X3.index()] = 2f;
    a[t.edgeIndex(4, 3)][Primitive.SKIP_CONNECT.index()] = 2f;
    a[t.edgeIndex(4, 2)][Primitive.DIL_CONV_5X5.index()] = 1.5f;
    // Node 5: input 4 strongest, then inputs 0 and 2 tie for second.
    a[t.edgeIndex(5, 4)][Primitive.AVG_POOL_3X3.index()] = 5f;
    a[t.edgeIndex(5, 2)][Primitive.SEP_CONV_5X5.index()] = 1f;
    a[t.edgeIndex(5, 0)][Primitive.MAX_POOL_3X3.index()] = 1f;
    // Node 3: ops tie on input 2: the earlier op wins.
    a[t.edgeIndex(3, 2)][Primitive.DIL_CONV_3X3.index()] = 4f;
    a[t.edgeIndex(3, 2)][Primitive.SEP_CONV_5X5.index()] = 4f;
    for (Weighting w : Weighting.values()) {
      List<Gene> genes = GenotypeDerivation.deriveCell(a, 4, w);
      assertEquals(new Gene(Primitive.SEP_CONV_5X5, 2), genes.get(2), w.toString());
      assertEquals(new Gene(Primitive.MAX_POOL_3X3, 0), genes.get(3), w.toString());
      assertEquals(new Gene(Primitive.SEP_CONV_3X3, 1), genes.get(4), w.toString());
      assertEquals(new Gene(Primitive.SKIP_CONNECT, 3), genes.get(5), w.toString());
      assertEquals(new Gene(Primitive.AVG_POOL_3X3, 4), genes.get(6), w.toString());
      assertEquals(new Gene(Primitive.MAX_POOL_3X3, 0), genes.get(7), w.toString());
    }
  }

  @Test
  void noneNeverCountsNorIsChosen() {
    CellTopology t = CellTopology.of(4);
    float[][] a = new float[EDGES][Primitive.COUNT];
    // Node 3: the edge from 0 has a huge none weight but nothing else; inputs 1 and 2 win.
    a[t.edgeIndex(3, 0)][Primitive.NONE.index()] = 50f;
    a[t.edgeIndex(3, 1)][Primitive.SKIP_CONNECT.index()] = 0.5f;
    a[t.edgeIndex(3, 2)][Primitive.DIL_CONV_3X3.index()] = 0.25f;
    // Node 2: none is the largest on both edges; the best non-none op is still chosen.
    a[t.edgeIndex(2, 0)][Primitive.NONE.index()] = 9f;
    a[t.edgeIndex(2, 0)][Primitive.AVG_POOL_3X3.index()] = 1f;
    a[t.edgeIndex(2, 1)][Primitive.NONE.index()] = 9f;
    a[t.edgeIndex(2, 1)][Primitive.SEP_CONV_5X5.index()] = 2f;
    for (Weighting w : Weighting.values()) {
      List<Gene> genes = GenotypeDerivation.deriveCell(a, 4, w);
      assertEquals(new Gene(Primitive.SEP_CONV_5X5, 1), genes.get(0), w.toString());
      assertEquals(new Gene(Primitive.AVG_POOL_3X3, 0), genes.get(1), w.toString());
      assertEquals(new Gene(Primitive.SKIP_CONNECT, 1), genes.get(2), w.toString());
      assertEquals(new Gene(Primitive.DIL_CONV_3X3, 2), genes.get(3), w.toString());
    }
  }

  @Test
  void softmaxCanRankEdgesDifferentlyFromRawA() {
    CellTopology t = CellTopology.of(4);
    float[][] a = new float[EDGES][Primitive.COUNT];
    // Node 3. Edge from 0: every op at 2 -> raw strength 2, softmax e^2/(1+7e^2) = 0.140.
    for (int k = 1; k < Primitive.COUNT; k++) a[t.edgeIndex(3, 0)][k] = 2f;
    // Edge from 1: one op at 1 -> raw 1, softmax e/(e+7) = 0.280.
    a[t.edgeIndex(3, 1)][Primitive.SEP_CONV_3X3.index()] = 1f;
    // Edge from 2: one op at 1.5 -> raw 1.5, softmax e^1.5/(e^1.5+7) = 0.390.
    a[t.edgeIndex(3, 2)][Primitive.DIL_CONV_5X5.index()] = 1.5f;
    List<Gene> soft = GenotypeDerivation.deriveCell(a, 4, Weighting.SOFTMAX);
    List<Gene> raw = GenotypeDerivation.deriveCell(a, 4, Weighting.RAW);
    assertEquals(List.of(new Gene(Primitive.DIL_CONV_5X5, 2), new Gene(Primitive.SEP_CONV_3X3, 1)), soft.subList(2, 4));
    assertEquals(List.of(new Gene(Primitive.MAX_POOL_3X3, 0), new Gene(Primitive.DIL_CONV_5X5, 2)), raw.subList(2, 4));
    assertNotEquals(soft, raw);
    assertEquals(soft, GenotypeDerivation.derive(a, a, 4).normal(), "softmax is the default");
  }

  /** The DARTS loop written as in model_search.py: a stable sort, then strict-greater argmax. */
  private static List<Gene> reference(float[][] a, int nodes) {
    List<Gene> gene = new ArrayList<>();
    int start = 0;
    int n = 2;
    for (int i = 0; i < nodes; i++) {
      int end = start + n;
      double[][] w = new double[n][];
      for (int e = start; e < end; e++) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : a[e]) max = Math.max(max, v);
        double sum = 0;
        w[e - start] = new double[Primitive.COUNT];
        for (int k = 0; k < Primitive.COUNT; k++) sum += w[e - start][k] = Math.exp(a[e][k] - max);
        for (int k = 0; k < Primitive.COUNT; k++) w[e - start][k] /= sum;
      }
      List<Integer> edges = new ArrayList<>();
      for (int x = 0; x < i + 2; x++) edges.add(x);
      edges.sort(Comparator.comparingDouble(x -> {
        double m = Double.NEGATIVE_INFINITY;
        for (int k = 1; k < Primitive.COUNT; k++) m = Math.max(m, w[x][k]);
        return -m;
      }));
      for (int j : edges.subList(0, 2)) {
        int best = -1;
        for (int k = 1; k < Primitive.COUNT; k++) if (best < 0 || w[j][k] > w[j][best]) best = k;
        gene.add(new Gene(Primitive.at(best), j));
      }
      start = end;
      n++;
    }
    return gene;
  }

  @Test
  void matchesTheDartsLoopOnRandomMatrices() {
    long seed = Seeds.next();
    Random random = new Random(seed);
    for (int trial = 0; trial < 300; trial++) {
      int nodes = 1 + random.nextInt(5);
      float[][] a = new float[CellTopology.edgeCount(nodes)][];
      for (int e = 0; e < a.length; e++) {
        // A at 1e-3 * N(0,1) as initialised, sometimes quantised to force ties.
        a[e] = Seeds.normal(random, Primitive.COUNT);
        for (int k = 0; k < Primitive.COUNT; k++) {
          a[e][k] = trial % 3 == 0 ? Math.round(a[e][k] * 2) / 2f : a[e][k] * 1e-3f;
        }
      }
      assertEquals(reference(a, nodes), GenotypeDerivation.deriveCell(a, nodes, Weighting.SOFTMAX), "seed " + seed + " trial " + trial);
    }
  }

  @Test
  void badMatricesAreRejectedByName() {
    float[][] ok = new float[EDGES][Primitive.COUNT];
    String m = assertThrows(IllegalArgumentException.class, () -> GenotypeDerivation.derive(new float[13][8], ok, 4)).getMessage();
    assertTrue(m.startsWith("normalA has 13 rows") && m.contains("14 edges"), m);
    m = assertThrows(IllegalArgumentException.class, () -> GenotypeDerivation.derive(ok, new float[14][7], 4)).getMessage();
    assertTrue(m.startsWith("reduceA[0] has 7 columns"), m);
    float[][] nan = new float[EDGES][Primitive.COUNT];
    nan[3][5] = Float.NaN;
    m = assertThrows(IllegalArgumentException.class, () -> GenotypeDerivation.derive(ok, nan, 4)).getMessage();
    assertTrue(m.startsWith("reduceA[3][5] (sep_conv_5x5) is NaN"), m);
    assertThrows(IllegalArgumentException.class, () -> GenotypeDerivation.derive(ok, ok, 0));
    assertThrows(IllegalArgumentException.class, () -> GenotypeDerivation.derive(null, ok, 4));
  }

  @Test
  void flatRowMajorMatricesGiveTheSameGenotype() {
    Random random = new Random(Seeds.next());
    float[] n = Seeds.normal(random, EDGES * Primitive.COUNT);
    float[] r = Seeds.normal(random, EDGES * Primitive.COUNT);
    float[][] n2 = new float[EDGES][];
    float[][] r2 = new float[EDGES][];
    for (int e = 0; e < EDGES; e++) {
      n2[e] = java.util.Arrays.copyOfRange(n, e * 8, e * 8 + 8);
      r2[e] = java.util.Arrays.copyOfRange(r, e * 8, e * 8 + 8);
    }
    for (Weighting w : Weighting.values()) {
      assertEquals(GenotypeDerivation.derive(n2, r2, 4, w), GenotypeDerivation.derive(n, r, 4, w));
    }
    String m = assertThrows(IllegalArgumentException.class,
        () -> GenotypeDerivation.derive(new float[111], r, 4, Weighting.SOFTMAX)).getMessage();
    assertTrue(m.startsWith("normalA has 111 values, expected 14 x 8 = 112"), m);
  }

  @Test
  void largeValuesDoNotOverflowTheSoftmax() {
    float[][] a = new float[EDGES][Primitive.COUNT];
    a[1][Primitive.SKIP_CONNECT.index()] = 1e30f;
    a[0][Primitive.MAX_POOL_3X3.index()] = -1e30f;
    Genotype g = GenotypeDerivation.derive(a, a, 4);
    assertEquals(new Gene(Primitive.SKIP_CONNECT, 1), g.normal().get(0));
    assertEquals(new Gene(Primitive.AVG_POOL_3X3, 0), g.normal().get(1));
  }
}
