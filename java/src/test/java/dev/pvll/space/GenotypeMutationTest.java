package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GenotypeMutationTest {
  @Test
  void aChildDiffersFromItsParentInExactlyOneGeneAndKeepsItsNodesInputsDistinct() {
    Random r = new Random(3);
    int opChanges = 0, inputChanges = 0;
    for (int trial = 0; trial < 2000; trial++) {
      Genotype parent = RandomGenotypes.sample(r, 4);
      Genotype child = GenotypeMutation.mutate(parent, r::nextInt);
      int changed = 0;
      for (CellType cell : CellType.values()) {
        for (int k = 0; k < 8; k++) {
          Gene p = parent.genes(cell).get(k), c = child.genes(cell).get(k);
          if (p.equals(c)) continue;
          changed++;
          if (p.op() != c.op()) {
            opChanges++;
            assertEquals(p.input(), c.input(), "an op mutation keeps the input");
            assertNotEquals(Primitive.NONE, c.op());
          } else {
            inputChanges++;
            assertTrue(c.input() < k / 2 + 2, "input of an earlier state");
          }
        }
        for (int node = 0; node < 4; node++) {
          assertNotEquals(child.genes(cell).get(2 * node).input(), child.genes(cell).get(2 * node + 1).input(), "distinct inputs");
        }
        assertEquals(parent.concat(cell), child.concat(cell));
      }
      assertEquals(1, changed, "genes changed in " + parent.toDartsString() + " -> " + child.toDartsString());
    }
    assertTrue(opChanges > 700 && inputChanges > 500, "both kinds of mutation happen: ops " + opChanges + ", inputs " + inputChanges);
  }
}
