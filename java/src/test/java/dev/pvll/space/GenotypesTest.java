package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenotypesTest {
  @Test
  void publishedGenotypes() {
    // quark0/darts cnn/genotypes.py
    assertEquals(
        Genotype.parse(
            "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1),"
                + " ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)],"
                + " normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1),"
                + " ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2),"
                + " ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])"),
        Genotypes.DARTS_V1);
    assertEquals(Genotype.parse(GenotypeTest.DARTS_V2_TEXT), Genotypes.DARTS_V2);
    // METHOD.md, "Final evaluation protocol".
    assertEquals(
        Genotype.parse(
            "Genotype(normal=[('sep_conv_5x5',0), ('dil_conv_3x3',1), ('sep_conv_3x3',1), ('sep_conv_5x5',0),"
                + " ('avg_pool_3x3',3), ('dil_conv_5x5',1), ('sep_conv_3x3',1), ('max_pool_3x3',0)],"
                + " normal_concat=range(2, 6), reduce=[('sep_conv_5x5',1), ('max_pool_3x3',0),"
                + " ('max_pool_3x3',1), ('dil_conv_3x3',2), ('dil_conv_5x5',2), ('sep_conv_5x5',0),"
                + " ('dil_conv_3x3',1), ('skip_connect',2)], reduce_concat=range(2, 6))"),
        Genotypes.PVLL_NAS);
    for (String name : Genotypes.names()) {
      Genotype g = Genotypes.byName(name);
      assertEquals(4, g.nodes());
      assertEquals(List.of(2, 3, 4, 5), g.normalConcat());
      assertEquals(List.of(2, 3, 4, 5), g.reduceConcat());
    }
  }

  @Test
  void byNameIgnoresCase() {
    assertSame(Genotypes.PVLL_NAS, Genotypes.byName("PVLL_NAS"));
    assertSame(Genotypes.PVLL_NAS, Genotypes.byName("pvll-nas"));
    assertSame(Genotypes.DARTS_V1, Genotypes.byName("darts_v1"));
    assertSame(Genotypes.DARTS_V2, Genotypes.byName("DARTS"));
    String m = assertThrows(IllegalArgumentException.class, () -> Genotypes.byName("ENAS")).getMessage();
    assertTrue(m.contains("'ENAS'") && m.contains("DARTS_V1, DARTS_V2, PVLL_NAS"), m);
  }

  @Test
  void loadTakesFilesTextOrNames(@TempDir Path dir) throws IOException {
    Path json = dir.resolve("run/genotype.json");
    Genotypes.writeJson(Genotypes.PVLL_NAS, json);
    assertEquals(Genotypes.PVLL_NAS, Genotypes.load(json.toString()));
    Path text = dir.resolve("genotype.txt");
    Files.writeString(text, Genotypes.DARTS_V1.toDartsString() + "\n");
    assertEquals(Genotypes.DARTS_V1, Genotypes.load(text.toString()));
    assertEquals(Genotypes.DARTS_V2, Genotypes.load(GenotypeTest.DARTS_V2_TEXT));
    assertEquals(Genotypes.DARTS_V2, Genotypes.load(Genotypes.DARTS_V2.toJson()));
    assertSame(Genotypes.DARTS_V2, Genotypes.load(" darts_v2 "));
  }

  @Test
  void loadErrorsNameTheFileOrArgument(@TempDir Path dir) throws IOException {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, Genotypes.PVLL_NAS.toJson().replace("sep_conv_5x5", "sep_conv_9x9"));
    String m = assertThrows(GenotypeFormatException.class, () -> Genotypes.load(bad.toString())).getMessage();
    assertTrue(m.startsWith(bad + ": ") && m.contains("normal[0].op: unknown op 'sep_conv_9x9'"), m);

    Path badText = dir.resolve("bad.txt");
    Files.writeString(badText, "Genotype(normal=[('skip_connect', 0), ('skip_connect', 3)], reduce=[])");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotypes.load(badText.toString()));
    assertTrue(e.getMessage().startsWith(badText + ": offset "), e.getMessage());

    m = assertThrows(IllegalArgumentException.class, () -> Genotypes.load(dir.resolve("missing.json").toString())).getMessage();
    assertTrue(m.startsWith("genotype file not found: "), m);
    m = assertThrows(IllegalArgumentException.class, () -> Genotypes.load("best")).getMessage();
    assertTrue(m.contains("'best' is not a file, DARTS text or built-in name"), m);
    assertThrows(IllegalArgumentException.class, () -> Genotypes.load("  "));
  }
}
