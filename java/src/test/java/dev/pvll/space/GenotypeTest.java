package dev.pvll.space;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GenotypeTest {
  /** DARTS_V2 exactly as quark0/darts prints it. */
  static final String DARTS_V2_TEXT =
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0),"
          + " ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0),"
          + " ('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0),"
          + " ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0),"
          + " ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)],"
          + " reduce_concat=range(2, 6))";

  @Test
  void printsTheDartsRepr() {
    assertEquals(DARTS_V2_TEXT, Genotypes.DARTS_V2.toDartsString());
    assertEquals(DARTS_V2_TEXT, Genotypes.DARTS_V2.toString());
  }

  @Test
  void textRoundTrip() {
    Random r = new Random(dev.pvll.testing.Seeds.next());
    List<Genotype> all = new ArrayList<>(List.of(Genotypes.DARTS_V1, Genotypes.DARTS_V2, Genotypes.PVLL_NAS));
    for (int i = 0; i < 50; i++) all.add(RandomGenotypes.sample(r, 1 + r.nextInt(6)));
    for (Genotype g : all) {
      assertEquals(g, Genotype.parse(g.toDartsString()));
      assertEquals(g.toDartsString(), Genotype.parse(g.toDartsString()).toDartsString());
    }
  }

  @Test
  void jsonRoundTrip() {
    Random r = new Random(dev.pvll.testing.Seeds.next());
    List<Genotype> all = new ArrayList<>(List.of(Genotypes.DARTS_V1, Genotypes.DARTS_V2, Genotypes.PVLL_NAS));
    for (int i = 0; i < 50; i++) all.add(RandomGenotypes.sample(r, 1 + r.nextInt(6)));
    all.add(new Genotype(Genotypes.PVLL_NAS.normal(), List.of(2, 4, 5), Genotypes.PVLL_NAS.reduce(), List.of(5, 3)));
    for (Genotype g : all) assertEquals(g, Genotype.fromJson(g.toJson()));
  }

  @Test
  void readsTheVariantsDartsFilesUse() {
    // DARTS_V1 as written in genotypes.py: lists for concat, a name prefix, line breaks.
    String v1 =
        "DARTS_V1 = Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0),"
            + " ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0),\n"
            + "   ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0),"
            + " ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0),"
            + " ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])\n";
    assertEquals(Genotypes.DARTS_V1, Genotype.parse(v1));
    // Double quotes, lists for genes, fields reordered, trailing commas, comments, no concat.
    String loose =
        "# from a log\n Genotype( reduce = [[\"max_pool_3x3\", 0], [\"max_pool_3x3\", 1], "
            + "[\"skip_connect\", 2], [\"max_pool_3x3\", 1], [\"max_pool_3x3\", 0], [\"skip_connect\", 2],"
            + " [\"skip_connect\", 2], [\"max_pool_3x3\", 1],],\n normal=" + listOf(Genotypes.DARTS_V2.normal())
            + ", reduce_concat=(2, 3, 4, 5), )";
    assertEquals(Genotypes.DARTS_V2, Genotype.parse(loose));
  }

  private static String listOf(List<Gene> genes) {
    return genes.toString();
  }

  @Test
  void concatThatIsNotARangePrintsAsAList() {
    Genotype g = new Genotype(Genotypes.DARTS_V2.normal(), List.of(2, 3, 5), Genotypes.DARTS_V2.reduce(), List.of(2, 3, 4, 5));
    assertTrue(g.toDartsString().contains("normal_concat=[2, 3, 5]"), g.toDartsString());
    assertTrue(g.toDartsString().contains("reduce_concat=range(2, 6)"), g.toDartsString());
  }

  @Test
  void unknownOpGivesOffsetCellAndEntry() {
    String text = DARTS_V2_TEXT.replaceFirst("dil_conv_3x3", "sep_conv_7x7");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(text));
    assertEquals(text.indexOf("'sep_conv_7x7'"), e.offset());
    assertEquals(CellType.NORMAL, e.cell());
    assertEquals(7, e.entry());
    assertTrue(e.getMessage().contains("offset " + e.offset() + ", normal entry 7"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown op 'sep_conv_7x7'"), e.getMessage());
    assertTrue(e.getMessage().contains("dil_conv_5x5"), "lists the valid ops: " + e.getMessage());
  }

  @Test
  void inputOutOfRangeGivesTheOffsetOfTheIndex() {
    // Reduce entry 1 feeds node 2, whose inputs are 0..1.
    String text = DARTS_V2_TEXT.replace("reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)", "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 2)");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(text));
    assertEquals(text.indexOf("2)", text.indexOf("reduce=[('max_pool_3x3', 0), ('max_pool_3x3', ")), e.offset());
    assertEquals(CellType.REDUCE, e.cell());
    assertEquals(1, e.entry());
    assertTrue(e.getMessage().contains("input 2 out of range for node 2"), e.getMessage());
    assertTrue(e.getMessage().contains("0..1"), e.getMessage());
  }

  @Test
  void wrongEdgeCountsAreRejected() {
    String seven = DARTS_V2_TEXT.replace(", ('dil_conv_3x3', 2)]", "]");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(seven));
    assertEquals(seven.indexOf("[('sep_conv_3x3', 0)"), e.offset());
    assertTrue(e.getMessage().contains("wrong edge count: normal has 7 entries"), e.getMessage());

    String sixReduce = DARTS_V2_TEXT.replace(", ('skip_connect', 2), ('max_pool_3x3', 1)]", "]");
    e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(sixReduce));
    assertEquals(CellType.REDUCE, e.cell());
    assertEquals(sixReduce.indexOf("reduce=") + "reduce=".length(), e.offset());
    assertTrue(e.getMessage().contains("reduce has 6 entries, normal has 8"), e.getMessage());
  }

  @Test
  void syntaxErrorsGiveTheOffset() {
    assertSyntax("Genotype(normal=[('sep_conv_3x3', 0) ('sep_conv_3x3', 1)])", 37, "expected ',' or ']'");
    assertSyntax("Genotype(normal=[('sep_conv_3x3, 0)])", 18, "unterminated string");
    assertSyntax("Genotype(normal=[('sep_conv_3x3', x)])", 34, "expected an integer");
    assertSyntax("Genome(normal=[])", 0, "expected 'Genotype('");
    assertSyntax("Genotype(normal=[], colour=3)", 20, "unknown field 'colour'");
    assertSyntax("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)])", 58, "missing field 'reduce'");
    assertSyntax("Genotype(normal=[], normal=[])", 20, "given twice");
    assertSyntax(DARTS_V2_TEXT + " extra", DARTS_V2_TEXT.length() + 1, "unexpected text");
    assertSyntax(DARTS_V2_TEXT.substring(0, 60), 60, "the end of the text");
    assertSyntax("", 0, "expected 'Genotype('");
    String badConcat = DARTS_V2_TEXT.replace("normal_concat=range(2, 6)", "normal_concat=range(2, 7)");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(badConcat));
    assertEquals(badConcat.indexOf("range(2, 7)"), e.offset());
    assertTrue(e.getMessage().contains("normal_concat entry 4: 6 is not an intermediate node (2..5)"), e.getMessage());
  }

  private static void assertSyntax(String text, int offset, String reason) {
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(text));
    assertEquals(offset, e.offset(), e.getMessage());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(e.getMessage().startsWith("genotype text: offset " + offset), e.getMessage());
  }

  @Test
  void noneIsNotAGenotypeOp() {
    String text = DARTS_V2_TEXT.replaceFirst("'skip_connect', 0", "'none', 0");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.parse(text));
    assertEquals(text.indexOf("'none'"), e.offset());
    assertEquals(5, e.entry());
  }

  @Test
  void constructorChecksTooAndNamesCellAndEntry() {
    List<Gene> normal = new ArrayList<>(Genotypes.DARTS_V2.normal());
    normal.set(6, new Gene(Primitive.SKIP_CONNECT, 5));
    GenotypeFormatException e =
        assertThrows(GenotypeFormatException.class, () -> Genotype.of(normal, Genotypes.DARTS_V2.reduce()));
    assertEquals(CellType.NORMAL, e.cell());
    assertEquals(6, e.entry());
    assertEquals(-1, e.offset());
    assertTrue(e.getMessage().startsWith("normal entry 6: input 5 out of range for node 5"), e.getMessage());
    assertThrows(GenotypeFormatException.class,
        () -> new Genotype(Genotypes.DARTS_V2.normal(), List.of(2, 2), Genotypes.DARTS_V2.reduce(), List.of(2)));
    assertThrows(GenotypeFormatException.class,
        () -> new Genotype(Genotypes.DARTS_V2.normal(), List.of(), Genotypes.DARTS_V2.reduce(), List.of(2)));
    assertThrows(GenotypeFormatException.class, () -> Genotype.of(List.of(), List.of()));
  }

  @Test
  void malformedJsonNamesThePath() {
    String json = Genotypes.PVLL_NAS.toJson().replaceFirst("\"input\": 3", "\"input\": 4");
    GenotypeFormatException e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson(json));
    assertEquals(CellType.NORMAL, e.cell());
    assertEquals(4, e.entry());
    assertTrue(e.getMessage().startsWith("genotype JSON: normal[4]: input 4 out of range for node 4"), e.getMessage());

    String unknown = Genotypes.PVLL_NAS.toJson().replaceFirst("max_pool_3x3", "maxpool");
    e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson(unknown));
    assertTrue(e.getMessage().contains("normal[7].op: unknown op 'maxpool'"), e.getMessage());

    String notInt = Genotypes.PVLL_NAS.toJson().replaceFirst("\"input\": 0", "\"input\": \"zero\"");
    e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson(notInt));
    assertTrue(e.getMessage().contains("normal[0].input must be an integer"), e.getMessage());

    e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson("{\"normal\": [}"));
    assertTrue(e.getMessage().startsWith("genotype JSON: malformed JSON"), e.getMessage());
    assertTrue(e.getMessage().contains("line 1"), e.getMessage());

    e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson("{\"normal\": []}"));
    assertTrue(e.getMessage().contains("missing field 'reduce'"), e.getMessage());

    String odd = "{\"normal\": [[\"skip_connect\", 0]], \"reduce\": [[\"skip_connect\", 0]]}";
    e = assertThrows(GenotypeFormatException.class, () -> Genotype.fromJson(odd));
    assertTrue(e.getMessage().contains("wrong edge count"), e.getMessage());
  }

  @Test
  void jsonAcceptsPairsPythonDumpsAndAWrapper() {
    // json.dumps(genotype) in Python: [normal, normal_concat, reduce, reduce_concat].
    StringBuilder py = new StringBuilder("[[");
    appendPairs(py, Genotypes.DARTS_V1.normal());
    py.append("], [2, 3, 4, 5], [");
    appendPairs(py, Genotypes.DARTS_V1.reduce());
    py.append("], [2, 3, 4, 5]]");
    assertEquals(Genotypes.DARTS_V1, Genotype.fromJson(py.toString()));
    assertEquals(Genotypes.DARTS_V2, Genotype.fromJson("{\"genotype\": " + Genotypes.DARTS_V2.toJson() + ", \"epoch\": 3}"));
  }

  private static void appendPairs(StringBuilder b, List<Gene> genes) {
    for (int i = 0; i < genes.size(); i++) {
      if (i > 0) b.append(", ");
      b.append("[\"").append(genes.get(i).op().dartsName()).append("\", ").append(genes.get(i).input()).append(']');
    }
  }

  @Test
  void edgeOpsPutTheGenotypeOnTheSupernetEdges() {
    Primitive[] ops = Genotypes.DARTS_V2.edgeOps(CellType.NORMAL);
    assertEquals(14, ops.length);
    CellTopology t = CellTopology.of(4);
    Primitive[] expected = new Primitive[14];
    java.util.Arrays.fill(expected, Primitive.NONE);
    expected[t.edgeIndex(2, 0)] = Primitive.SEP_CONV_3X3;
    expected[t.edgeIndex(2, 1)] = Primitive.SEP_CONV_3X3;
    expected[t.edgeIndex(3, 0)] = Primitive.SEP_CONV_3X3;
    expected[t.edgeIndex(3, 1)] = Primitive.SEP_CONV_3X3;
    expected[t.edgeIndex(4, 1)] = Primitive.SEP_CONV_3X3;
    expected[t.edgeIndex(4, 0)] = Primitive.SKIP_CONNECT;
    expected[t.edgeIndex(5, 0)] = Primitive.SKIP_CONNECT;
    expected[t.edgeIndex(5, 2)] = Primitive.DIL_CONV_3X3;
    assertArrayEquals(expected, ops);
    Genotype twice = Genotype.of(Genotype.pairs("skip_connect", 0, "max_pool_3x3", 0), Genotype.pairs("skip_connect", 0, "skip_connect", 1));
    assertThrows(IllegalArgumentException.class, () -> twice.edgeOps(CellType.NORMAL));
  }

  @Test
  void requireNodes() {
    assertEquals(Genotypes.PVLL_NAS, Genotypes.PVLL_NAS.requireNodes(4));
    String m = assertThrows(IllegalArgumentException.class, () -> Genotypes.PVLL_NAS.requireNodes(5)).getMessage();
    assertTrue(m.contains("4 nodes per cell") && m.contains("expects 5"), m);
  }
}
