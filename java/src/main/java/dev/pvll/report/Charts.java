package dev.pvll.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.GrayPaintScale;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's chart styles on JFreeChart: one look for every plot. */
final class Charts {
  static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
      new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

  private Charts() {}

  /** Lines and/or points over x, one series per entry of data. */
  static JFreeChart xy(String title, String xLabel, String yLabel, XYSeriesCollection data, boolean lines, boolean points) {
    NumberAxis x = new NumberAxis(xLabel), y = new NumberAxis(yLabel);
    y.setAutoRangeIncludesZero(false);
    x.setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(lines, points);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      r.setSeriesStroke(i, new BasicStroke(2f));
      r.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-3, -3, 6, 6));
    }
    XYPlot plot = new XYPlot(data, x, y, r);
    return style(new JFreeChart(title, new Font("SansSerif", Font.BOLD, 15), plot, data.getSeriesCount() > 1));
  }

  /**
   * The chart with whole-number ticks on its x axis (epochs), at least one unit wide, so that a
   * single point does not get a zero-width axis of repeated labels.
   */
  static JFreeChart integerX(JFreeChart chart) {
    NumberAxis x = (NumberAxis) chart.getXYPlot().getDomainAxis();
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    x.setAutoRangeMinimumSize(2);
    NumberAxis y = (NumberAxis) chart.getXYPlot().getRangeAxis();
    y.setAutoRangeMinimumSize(0.05);
    return chart;
  }

  /** A heat map of z over a grid (xy block renderer) with a colour legend. */
  static JFreeChart heat(String title, String xLabel, String yLabel, DefaultXYZDataset data, double blockW, double blockH, double zMin,
      double zMax, String zLabel) {
    XYBlockRenderer r = new XYBlockRenderer();
    r.setBlockWidth(blockW);
    r.setBlockHeight(blockH);
    PaintScale scale = viridis(zMin, zMax);
    r.setPaintScale(scale);
    NumberAxis x = new NumberAxis(xLabel), y = new NumberAxis(yLabel);
    x.setAutoRangeIncludesZero(false);
    y.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(data, x, y, r);
    JFreeChart chart = style(new JFreeChart(title, new Font("SansSerif", Font.BOLD, 15), plot, false));
    NumberAxis zAxis = new NumberAxis(zLabel);
    zAxis.setRange(zMin, zMax == zMin ? zMin + 1e-9 : zMax);
    double span = Math.max(zMax - zMin, 1e-12);
    int digits = (int) Math.max(2, Math.min(8, Math.ceil(-Math.log10(span)) + 2));
    zAxis.setNumberFormatOverride(new java.text.DecimalFormat("0." + "0".repeat(digits)));
    PaintScaleLegend legend = new PaintScaleLegend(scale, zAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setMargin(4, 4, 40, 4);
    legend.setAxisOffset(5);
    chart.addSubtitle(legend);
    return chart;
  }

  /** An approximation of the viridis colour map from zMin (dark blue) to zMax (yellow). */
  static PaintScale viridis(double zMin, double zMax) {
    if (!(zMax > zMin)) return new GrayPaintScale(zMin, zMin + 1e-9);
    int[] stops = {0x440154, 0x482878, 0x3e4a89, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725};
    LookupPaintScale s = new LookupPaintScale(zMin, zMax, Color.GRAY);
    int steps = 64;
    for (int i = 0; i < steps; i++) {
      double t = (double) i / (steps - 1);
      double pos = t * (stops.length - 1);
      int a = Math.min((int) pos, stops.length - 2);
      double f = pos - a;
      s.add(zMin + t * (zMax - zMin), mix(new Color(stops[a]), new Color(stops[a + 1]), f));
    }
    return s;
  }

  static Paint mix(Color a, Color b, double f) {
    return new Color((int) (a.getRed() + f * (b.getRed() - a.getRed())), (int) (a.getGreen() + f * (b.getGreen() - a.getGreen())),
        (int) (a.getBlue() + f * (b.getBlue() - a.getBlue())));
  }

  static JFreeChart style(JFreeChart c) {
    c.setBackgroundPaint(Color.WHITE);
    if (c.getPlot() instanceof XYPlot p) {
      p.setBackgroundPaint(new Color(0xfafafa));
      p.setDomainGridlinePaint(new Color(0xdddddd));
      p.setRangeGridlinePaint(new Color(0xdddddd));
      p.setOutlineVisible(false);
    }
    return c;
  }

  static void save(JFreeChart chart, Path file, int width, int height) throws IOException {
    ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
  }
}
