package dev.pvll.report;

import dev.pvll.space.CellType;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Pictures of a genotype's two cells in the spirit of the DARTS plots: the cell inputs
 * c_{k-2} and c_{k-1} on the left, the intermediate nodes 0 .. n-1, the output c_{k} on the right,
 * every kept edge an arrow labelled with its op, and grey arrows from the concatenated nodes into
 * the output. SVG is written as text; PNG is drawn with Java2D and works headless. No graphviz.
 */
public final class CellPicture {
  /** Pixels per layout unit in PNG pictures: 2 gives crisp text on high-density screens. */
  public static final double DEFAULT_PNG_SCALE = 2.0;

  private static final String SVG_FONTS = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";
  private static final Color INK = new Color(0x333333);
  private static final Color CONCAT = new Color(0x9a9a9a);

  private CellPicture() {}

  /** File names DARTS uses: normal.svg / reduction.svg, normal.png / reduction.png. */
  public static Path fileFor(Path dir, CellType cell, String extension) {
    return dir.resolve(cell.fileStem() + "." + extension);
  }

  /** Writes normal.svg and reduction.svg into {@code dir} (created if needed); returns them. */
  public static List<Path> writeSvg(Genotype genotype, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    for (CellType cell : CellType.values()) {
      Path file = fileFor(dir, cell, "svg");
      Files.writeString(file, svg(genotype, cell), StandardCharsets.UTF_8);
      out.add(file);
    }
    return out;
  }

  /** Writes normal.png and reduction.png into {@code dir} (created if needed); returns them. */
  public static List<Path> writePng(Genotype genotype, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    for (CellType cell : CellType.values()) {
      Path file = fileFor(dir, cell, "png");
      if (!ImageIO.write(png(genotype, cell, DEFAULT_PNG_SCALE), "png", file.toFile())) {
        throw new IOException("no PNG writer available for " + file);
      }
      out.add(file);
    }
    return out;
  }

  /** One cell as an SVG document. */
  public static String svg(Genotype genotype, CellType cell) {
    CellLayout l = CellLayout.of(genotype, cell);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"%s\">%n",
        (int) l.width, (int) l.height, (int) l.width, (int) l.height, SVG_FONTS));
    s.append("<title>").append(l.title).append("</title>\n");
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    s.append(String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"#666666\">%s</text>%n",
        16.0, l.titleY, CellLayout.TITLE_FONT, l.title));
    // Edges into the output first, so the labelled edges lie on top of them.
    for (int pass = 0; pass < 2; pass++) {
      for (CellLayout.Edge e : l.edges) {
        if ((e.op() == null) != (pass == 0)) continue;
        String colour = hex(colour(e.op()));
        StringBuilder d = new StringBuilder();
        CellLayout.Point first = e.segments().get(0)[0];
        d.append(String.format(Locale.ROOT, "M%.1f,%.1f", first.x(), first.y()));
        for (CellLayout.Point[] seg : e.segments()) {
          d.append(String.format(Locale.ROOT, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f",
              seg[1].x(), seg[1].y(), seg[2].x(), seg[2].y(), seg[3].x(), seg[3].y()));
        }
        s.append(String.format(Locale.ROOT,
            "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\"/>%n", d, colour));
        CellLayout.Point[] a = e.arrow();
        s.append(String.format(Locale.ROOT,
            "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>%n",
            a[0].x(), a[0].y(), a[1].x(), a[1].y(), a[2].x(), a[2].y(), colour));
      }
    }
    for (CellLayout.Label lab : l.labels) {
      String colour = hex(colour(l.edges.get(lab.edge()).op()));
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" fill=\"#ffffff\""
              + " fill-opacity=\"0.92\"/>%n",
          lab.cx() - lab.w() / 2, lab.cy() - lab.h() / 2, lab.w(), lab.h()));
      s.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"middle\""
              + " dominant-baseline=\"central\" fill=\"%s\">%s</text>%n",
          lab.cx(), lab.cy(), CellLayout.LABEL_FONT, colour, escape(lab.text())));
    }
    for (CellLayout.Box b : l.boxes) {
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\" fill=\"%s\""
              + " stroke=\"#555555\" stroke-width=\"1.2\"/>%n",
          b.left(), b.top(), b.w(), b.h(), hex(fill(b.kind()))));
      s.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"middle\""
              + " dominant-baseline=\"central\" fill=\"#000000\">%s</text>%n",
          b.cx(), b.cy(), CellLayout.NODE_FONT, escape(b.text())));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  /** One cell drawn into an image, {@code scale} pixels per layout unit. Works headless. */
  public static BufferedImage png(Genotype genotype, CellType cell, double scale) {
    if (!(scale > 0 && scale <= 8)) throw new IllegalArgumentException("scale must be in (0, 8], got " + scale);
    CellLayout l = CellLayout.of(genotype, cell);
    int w = (int) Math.ceil(l.width * scale);
    int h = (int) Math.ceil(l.height * scale);
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, w, h);
      g.scale(scale, scale);

      g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, (int) CellLayout.TITLE_FONT));
      g.setColor(new Color(0x666666));
      g.drawString(l.title, 16f, (float) l.titleY);

      g.setStroke(new BasicStroke(1.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      for (int pass = 0; pass < 2; pass++) {
        for (CellLayout.Edge e : l.edges) {
          if ((e.op() == null) != (pass == 0)) continue;
          g.setColor(colour(e.op()));
          Path2D.Double path = new Path2D.Double();
          CellLayout.Point first = e.segments().get(0)[0];
          path.moveTo(first.x(), first.y());
          for (CellLayout.Point[] seg : e.segments()) {
            path.curveTo(seg[1].x(), seg[1].y(), seg[2].x(), seg[2].y(), seg[3].x(), seg[3].y());
          }
          g.draw(path);
          CellLayout.Point[] a = e.arrow();
          Path2D.Double head = new Path2D.Double();
          head.moveTo(a[0].x(), a[0].y());
          head.lineTo(a[1].x(), a[1].y());
          head.lineTo(a[2].x(), a[2].y());
          head.closePath();
          g.fill(head);
        }
      }

      Font labelFont = new Font(Font.MONOSPACED, Font.PLAIN, (int) CellLayout.LABEL_FONT);
      for (CellLayout.Label lab : l.labels) {
        g.setColor(new Color(255, 255, 255, 235));
        g.fill(new RoundRectangle2D.Double(
            lab.cx() - lab.w() / 2, lab.cy() - lab.h() / 2, lab.w(), lab.h(), 6, 6));
        g.setColor(colour(l.edges.get(lab.edge()).op()));
        centred(g, labelFont, lab.text(), lab.cx(), lab.cy());
      }

      Font nodeFont = new Font(Font.MONOSPACED, Font.PLAIN, (int) CellLayout.NODE_FONT);
      g.setStroke(new BasicStroke(1.2f));
      for (CellLayout.Box b : l.boxes) {
        RoundRectangle2D.Double r = new RoundRectangle2D.Double(b.left(), b.top(), b.w(), b.h(), 12, 12);
        g.setColor(fill(b.kind()));
        g.fill(r);
        g.setColor(new Color(0x555555));
        g.draw(r);
        g.setColor(Color.BLACK);
        centred(g, nodeFont, b.text(), b.cx(), b.cy());
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private static void centred(Graphics2D g, Font font, String text, double cx, double cy) {
    g.setFont(font);
    FontMetrics fm = g.getFontMetrics();
    float x = (float) (cx - fm.getStringBounds(text, g).getWidth() / 2);
    float y = (float) (cy + (fm.getAscent() - fm.getDescent()) / 2.0);
    g.drawString(text, x, y);
  }

  /** The DARTS plot colours: inputs darkseagreen2, nodes lightblue, output palegoldenrod. */
  private static Color fill(CellLayout.Kind kind) {
    return switch (kind) {
      case INPUT -> new Color(0xB4EEB4);
      case NODE -> new Color(0xADD8E6);
      case OUTPUT -> new Color(0xEEE8AA);
    };
  }

  /** One colour per op family, so crossing edges can be told apart; grey for concat edges. */
  static Color colour(Primitive op) {
    if (op == null) return CONCAT;
    return switch (op) {
      case MAX_POOL_3X3 -> new Color(0x1B7837);
      case AVG_POOL_3X3 -> new Color(0x4D9221);
      case SKIP_CONNECT -> INK;
      case SEP_CONV_3X3 -> new Color(0x2166AC);
      case SEP_CONV_5X5 -> new Color(0x5E3C99);
      case DIL_CONV_3X3 -> new Color(0xB2182B);
      case DIL_CONV_5X5 -> new Color(0xC05A00);
      case NONE -> INK;
    };
  }

  private static String hex(Color c) {
    return String.format(Locale.ROOT, "#%06x", c.getRGB() & 0xFFFFFF);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
