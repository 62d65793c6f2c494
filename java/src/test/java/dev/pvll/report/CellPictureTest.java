package dev.pvll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pvll.report.CellLayout.Box;
import dev.pvll.report.CellLayout.Edge;
import dev.pvll.report.CellLayout.Label;
import dev.pvll.report.CellLayout.Point;
import dev.pvll.space.CellType;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.Genotypes;
import dev.pvll.space.RandomGenotypes;
import dev.pvll.testing.Seeds;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class CellPictureTest {
  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void writesBothCellsAsSvgAndPng(@TempDir Path dir) throws Exception {
    Genotype g = Genotypes.PVLL_NAS;
    List<Path> svgs = CellPicture.writeSvg(g, dir);
    List<Path> pngs = CellPicture.writePng(g, dir);
    assertEquals(List.of(dir.resolve("normal.svg"), dir.resolve("reduction.svg")), svgs);
    assertEquals(List.of(dir.resolve("normal.png"), dir.resolve("reduction.png")), pngs);
    for (CellType cell : CellType.values()) {
      Path svg = dir.resolve(cell.fileStem() + ".svg");
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
      assertEquals("svg", doc.getDocumentElement().getTagName());
      String text = Files.readString(svg);
      for (String box : List.of("c_{k-2}", "c_{k-1}", "c_{k}", ">0<", ">1<", ">2<", ">3<")) {
        assertTrue(text.contains(box), cell + " svg lacks " + box);
      }
      for (Gene gene : g.genes(cell)) assertTrue(text.contains(">" + gene.op().dartsName() + "<"));
      assertEquals(2 * g.nodes(), count(text, "font-size=\"12\""), "one label per gene");
      // 8 gene edges + 4 concat edges, each a path with an arrowhead.
      assertEquals(12, count(text, "<path "));
      assertEquals(12, count(text, "<polygon "));

      BufferedImage png = ImageIO.read(dir.resolve(cell.fileStem() + ".png").toFile());
      assertNotNull(png);
      CellLayout layout = CellLayout.of(g, cell);
      assertEquals((int) Math.ceil(layout.width * CellPicture.DEFAULT_PNG_SCALE), png.getWidth());
      assertEquals((int) Math.ceil(layout.height * CellPicture.DEFAULT_PNG_SCALE), png.getHeight());
      // The op colours and the box fills are really drawn.
      java.util.Set<Integer> colours = colours(png);
      for (Gene gene : g.genes(cell)) {
        assertTrue(colours.contains(CellPicture.colour(gene.op()).getRGB()), cell + ": no " + gene.op() + " pixels");
      }
      assertTrue(colours.contains(0xFFADD8E6), "node fill");
    }
  }

  @Test
  void layoutIsCleanForPublishedAndRandomGenotypes() {
    List<Genotype> all = new ArrayList<>(List.of(Genotypes.DARTS_V1, Genotypes.DARTS_V2, Genotypes.PVLL_NAS));
    long seed = Seeds.next();
    Random r = new Random(seed);
    for (int i = 0; i < 30; i++) all.add(RandomGenotypes.sample(r, 4));
    for (int i = 0; i < 10; i++) all.add(RandomGenotypes.sample(r, 1 + r.nextInt(6)));
    // NASNet-style: one node taking the same input twice; a concat leaving a node out.
    all.add(new Genotype(
        Genotype.pairs("avg_pool_3x3", 0, "avg_pool_3x3", 0, "sep_conv_3x3", 1, "skip_connect", 1,
            "sep_conv_5x5", 0, "sep_conv_5x5", 0, "skip_connect", 4, "max_pool_3x3", 4),
        List.of(2, 3, 5),
        Genotypes.PVLL_NAS.reduce(), List.of(2, 3, 4, 5)));
    for (Genotype g : all) {
      for (CellType cell : CellType.values()) checkLayout(g, cell, "seed " + seed + " " + cell + " of " + g);
    }
  }

  private static void checkLayout(Genotype g, CellType cell, String what) {
    CellLayout l = CellLayout.of(g, cell);
    assertEquals(g.nodes() + 3, l.boxes.size(), what);
    assertEquals(g.genes(cell).size() + g.concat(cell).size(), l.edges.size(), what);
    assertEquals(g.genes(cell).size(), l.labels.size(), what);
    for (int i = 0; i < l.boxes.size(); i++) {
      Box a = l.boxes.get(i);
      inside(l, a.cx() - a.w() / 2, a.cy() - a.h() / 2, a.cx() + a.w() / 2, a.cy() + a.h() / 2, what);
      for (int j = i + 1; j < l.boxes.size(); j++) {
        Box b = l.boxes.get(j);
        assertFalse(a.overlaps(b.left(), b.top(), b.left() + b.w(), b.top() + b.h(), 4), what + ": boxes overlap");
      }
    }
    for (int i = 0; i < l.labels.size(); i++) {
      Label a = l.labels.get(i);
      Edge own = l.edges.get(a.edge());
      assertEquals(own.op().dartsName(), a.text(), what);
      inside(l, a.cx() - a.w() / 2, a.cy() - a.h() / 2, a.cx() + a.w() / 2, a.cy() + a.h() / 2, what);
      for (int j = i + 1; j < l.labels.size(); j++) {
        if (a.overlaps(l.labels.get(j), 0)) fail(what + ": labels overlap: " + a + " and " + l.labels.get(j));
      }
      for (Box b : l.boxes) {
        if (b.overlaps(a.cx() - a.w() / 2, a.cy() - a.h() / 2, a.cx() + a.w() / 2, a.cy() + a.h() / 2, 0)) {
          fail(what + ": label " + a + " covers box " + b.text());
        }
      }
      for (Edge e : l.edges) {
        for (Point p : e.arrow()) {
          if (Math.abs(p.x() - a.cx()) < a.w() / 2 && Math.abs(p.y() - a.cy()) < a.h() / 2) {
            fail(what + ": label " + a + " covers an arrowhead");
          }
        }
      }
      // A label sits on or right beside its own edge.
      double nearest = Double.POSITIVE_INFINITY;
      for (Point p : samples(own)) nearest = Math.min(nearest, Math.hypot(p.x() - a.cx(), p.y() - a.cy()));
      assertTrue(nearest < a.h() + 6, what + ": label " + a + " is " + nearest + " away from its edge");
    }
    for (Edge e : l.edges) {
      // Edges run between boxes, never through one (other than their own ends).
      for (Point p : samples(e)) {
        inside(l, p.x(), p.y(), p.x(), p.y(), what);
        for (int b = 0; b < l.boxes.size(); b++) {
          if (b == e.from() || b == e.to()) continue;
          Box box = l.boxes.get(b);
          if (Math.abs(p.x() - box.cx()) < box.w() / 2 && Math.abs(p.y() - box.cy()) < box.h() / 2) {
            fail(what + ": edge " + e.from() + "->" + e.to() + " crosses box " + box.text());
          }
        }
      }
      Box target = l.boxes.get(e.to());
      assertEquals(target.left(), e.arrow()[0].x(), 1e-9, what + ": arrow tip on the target");
      assertTrue(Math.abs(e.arrow()[0].y() - target.cy()) < target.h() / 2, what);
    }
  }

  private static List<Point> samples(Edge e) {
    List<Point> out = new ArrayList<>();
    for (Point[] s : e.segments()) for (int i = 0; i <= 32; i++) out.add(CellLayout.bezier(s, i / 32.0));
    return out;
  }

  private static void inside(CellLayout l, double x0, double y0, double x1, double y1, String what) {
    assertTrue(x0 >= 0 && y0 >= 0 && x1 <= l.width && y1 <= l.height, what + ": outside the picture");
  }

  private static java.util.Set<Integer> colours(BufferedImage img) {
    java.util.Set<Integer> out = new java.util.HashSet<>();
    int[] row = new int[img.getWidth()];
    for (int y = 0; y < img.getHeight(); y++) {
      img.getRGB(0, y, row.length, 1, row, 0, row.length);
      for (int v : row) out.add(v | 0xFF000000);
    }
    return out;
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
    return n;
  }

  @Test
  void pngScaleIsChecked() {
    assertThrowsIae(() -> CellPicture.png(Genotypes.DARTS_V2, CellType.NORMAL, 0));
  }

  private static void assertThrowsIae(org.junit.jupiter.api.function.Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
  }

  @Test
  void writesIntoNewFolders(@TempDir Path dir) throws IOException {
    Path nested = dir.resolve("a/b");
    CellPicture.writePng(Genotypes.DARTS_V1, nested);
    assertTrue(Files.size(nested.resolve("reduction.png")) > 1000);
  }
}
