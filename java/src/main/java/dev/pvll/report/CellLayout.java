package dev.pvll.report;

import dev.pvll.space.CellTopology;
import dev.pvll.space.CellType;
import dev.pvll.space.Gene;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The geometry of one cell picture, computed without any drawing library: a layered left-to-right
 * layout in the manner of graphviz (which drew the DARTS cell plots). Cell inputs in the first
 * column, intermediate node j in column j+1, the output last; edges that skip columns pass
 * through dummy points, columns are ordered to reduce crossings, heights are relaxed towards
 * straight edges, and edges are smooth cubic curves with arrowheads. Each op label sits on its
 * edge, preferably just before the arrow, where it overlaps no box, no arrowhead, no other label
 * and as few other edges as possible.
 *
 * <p>Text widths assume a monospace font (0.6 em per character, true of DejaVu Sans Mono, Menlo,
 * Consolas, Courier), so the SVG and PNG pictures share one layout.
 */
final class CellLayout {
  static final double LABEL_FONT = 12;
  static final double NODE_FONT = 14;
  static final double TITLE_FONT = 13;
  static final double CHAR_EM = 0.6;

  private static final double MARGIN = 16;
  private static final double NODE_H = 30;
  private static final double LABEL_H = 16;
  private static final double LABEL_PAD_X = 4;
  private static final double LAYER_GAP = 160;
  private static final double NODE_SEP = NODE_H + 52;
  private static final double DUMMY_SEP = 30;
  private static final double ARROW_LEN = 9;
  private static final double ARROW_HALF = 4;

  /** What a box stands for; sets its colour. */
  enum Kind {
    INPUT,
    NODE,
    OUTPUT
  }

  record Point(double x, double y) {}

  /** A box centred at (cx, cy). */
  record Box(String text, Kind kind, double cx, double cy, double w, double h) {
    double left() {
      return cx - w / 2;
    }

    double top() {
      return cy - h / 2;
    }

    boolean overlaps(double x0, double y0, double x1, double y1, double pad) {
      return x0 < cx + w / 2 + pad && x1 > cx - w / 2 - pad
          && y0 < cy + h / 2 + pad && y1 > cy - h / 2 - pad;
    }
  }

  /**
   * An edge: cubic segments (4 points each, consecutive segments share an end point), the arrow
   * head (tip, then the two base corners), the op (null for the unlabelled edges into the output).
   */
  record Edge(Primitive op, int from, int to, List<Point[]> segments, Point[] arrow) {}

  /** An op label centred at (cx, cy), belonging to edge {@code edge}. */
  record Label(String text, int edge, double cx, double cy, double w, double h) {
    boolean overlaps(Label o, double pad) {
      return Math.abs(cx - o.cx) < (w + o.w) / 2 + pad && Math.abs(cy - o.cy) < (h + o.h) / 2 + pad;
    }
  }

  final String title;
  final List<Box> boxes;
  final List<Edge> edges;
  final List<Label> labels;
  final double width;
  final double height;
  final double titleY;

  private CellLayout(
      String title, List<Box> boxes, List<Edge> edges, List<Label> labels, double width,
      double height, double titleY) {
    this.title = title;
    this.boxes = boxes;
    this.edges = edges;
    this.labels = labels;
    this.width = width;
    this.height = height;
    this.titleY = titleY;
  }

  static double textWidth(String s, double font) {
    return s.length() * CHAR_EM * font;
  }

  /** The point at parameter t of a cubic segment. */
  static Point bezier(Point[] s, double t) {
    double u = 1 - t;
    double a = u * u * u;
    double b = 3 * u * u * t;
    double c = 3 * u * t * t;
    double d = t * t * t;
    return new Point(
        a * s[0].x() + b * s[1].x() + c * s[2].x() + d * s[3].x(),
        a * s[0].y() + b * s[1].y() + c * s[2].y() + d * s[3].y());
  }

  /** The layout of one cell of a genotype. */
  static CellLayout of(Genotype genotype, CellType cell) {
    return new Builder(genotype, cell).build();
  }

  // ----------------------------------------------------------------------------------------------

  private static final class Builder {
    private final Genotype genotype;
    private final CellType cell;
    private final int nodes;
    private final int output;

    // Vertices: 0, 1 cell inputs; 2 .. nodes+1 intermediate nodes; nodes+2 output; then dummies.
    private final List<Integer> layerOf = new ArrayList<>();
    private final List<String> textOf = new ArrayList<>();
    /** Logical edges as chains of vertices (source, dummies..., target). */
    private final List<int[]> chains = new ArrayList<>();
    private final List<Primitive> opOf = new ArrayList<>();
    private List<List<Integer>> layers;
    private double[] y;
    private double[] x;
    private double[] halfWidth;

    Builder(Genotype genotype, CellType cell) {
      this.genotype = genotype;
      this.cell = cell;
      this.nodes = genotype.nodes();
      this.output = CellTopology.CELL_INPUTS + nodes;
    }

    CellLayout build() {
      buildGraph();
      orderLayers();
      placeX();
      placeY();
      List<Box> boxes = new ArrayList<>();
      for (int v = 0; v <= output; v++) {
        Kind kind = v < CellTopology.CELL_INPUTS ? Kind.INPUT : v == output ? Kind.OUTPUT : Kind.NODE;
        boxes.add(new Box(textOf.get(v), kind, x[v], y[v], 2 * halfWidth[v], NODE_H));
      }
      List<Edge> edges = route();
      List<Label> labels = placeLabels(boxes, edges);
      return frame(boxes, edges, labels);
    }

    private int addVertex(int layer, String text) {
      layerOf.add(layer);
      textOf.add(text);
      return layerOf.size() - 1;
    }

    private void buildGraph() {
      addVertex(0, "c_{k-2}");
      addVertex(0, "c_{k-1}");
      List<Gene> genes = genotype.genes(cell);
      // One column per node (a staircase) rather than graphviz' longest-path layers: each gap
      // between columns then ends in the two edges of one node, so their labels never crowd.
      for (int j = 0; j < nodes; j++) addVertex(j + 1, Integer.toString(j));
      addVertex(nodes + 1, "c_{k}");
      for (int g = 0; g < genes.size(); g++) {
        addChain(genes.get(g).input(), CellTopology.CELL_INPUTS + g / 2, genes.get(g).op());
      }
      for (int s : genotype.concat(cell)) addChain(s, output, null);
    }

    private void addChain(int from, int to, Primitive op) {
      int span = layerOf.get(to) - layerOf.get(from);
      int[] chain = new int[span + 1];
      chain[0] = from;
      for (int i = 1; i < span; i++) chain[i] = addVertex(layerOf.get(from) + i, "");
      chain[span] = to;
      chains.add(chain);
      opOf.add(op);
    }

    private boolean isDummy(int v) {
      return v > output;
    }

    // ---- crossing reduction: barycentre sweeps plus adjacent swaps, keeping the best order ----

    private void orderLayers() {
      int layerCount = layerOf.get(output) + 1;
      layers = new ArrayList<>();
      for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
      for (int v = 0; v < layerOf.size(); v++) layers.get(layerOf.get(v)).add(v);
      List<List<Integer>> best = copy(layers);
      int bestCrossings = crossings();
      for (int iter = 0; iter < 8 && bestCrossings > 0; iter++) {
        for (int l = 1; l < layerCount; l++) sortByBarycentre(l, true);
        for (int l = layerCount - 2; l >= 1; l--) sortByBarycentre(l, false);
        transpose();
        int c = crossings();
        if (c < bestCrossings) {
          bestCrossings = c;
          best = copy(layers);
        }
      }
      layers = best;
    }

    /** Layer 0 stays c_{k-2} above c_{k-1}, as in the DARTS plots. */
    private void sortByBarycentre(int l, boolean fromLeft) {
      if (l == 0) return;
      List<Integer> layer = layers.get(l);
      int[] pos = positions();
      double[] key = new double[layerOf.size()];
      for (int v : layer) {
        double sum = 0;
        int n = 0;
        for (int[] s : segments()) {
          if (fromLeft && s[1] == v) {
            sum += pos[s[0]];
            n++;
          } else if (!fromLeft && s[0] == v) {
            sum += pos[s[1]];
            n++;
          }
        }
        key[v] = n == 0 ? pos[v] : sum / n;
      }
      layer.sort(Comparator.comparingDouble((Integer v) -> key[v]).thenComparingInt(v -> pos[v]));
    }

    private void transpose() {
      boolean improved = true;
      for (int round = 0; improved && round < 10; round++) {
        improved = false;
        for (int l = 1; l < layers.size(); l++) {
          List<Integer> layer = layers.get(l);
          for (int i = 0; i + 1 < layer.size(); i++) {
            int before = crossings();
            java.util.Collections.swap(layer, i, i + 1);
            if (crossings() < before) {
              improved = true;
            } else {
              java.util.Collections.swap(layer, i, i + 1);
            }
          }
        }
      }
    }

    private int crossings() {
      int[] pos = positions();
      List<int[]> segs = segments();
      int c = 0;
      for (int i = 0; i < segs.size(); i++) {
        for (int j = i + 1; j < segs.size(); j++) {
          int[] a = segs.get(i);
          int[] b = segs.get(j);
          if (layerOf.get(a[0]).intValue() != layerOf.get(b[0]).intValue()) continue;
          long d = (long) (pos[a[0]] - pos[b[0]]) * (pos[a[1]] - pos[b[1]]);
          if (d < 0) c++;
        }
      }
      return c;
    }

    private List<int[]> segments() {
      List<int[]> segs = new ArrayList<>();
      for (int[] chain : chains) {
        for (int i = 0; i + 1 < chain.length; i++) segs.add(new int[] {chain[i], chain[i + 1]});
      }
      return segs;
    }

    private int[] positions() {
      int[] pos = new int[layerOf.size()];
      for (List<Integer> layer : layers) {
        for (int i = 0; i < layer.size(); i++) pos[layer.get(i)] = i;
      }
      return pos;
    }

    private static List<List<Integer>> copy(List<List<Integer>> layers) {
      List<List<Integer>> out = new ArrayList<>();
      for (List<Integer> l : layers) out.add(new ArrayList<>(l));
      return out;
    }

    // ---- coordinates ----

    private void placeX() {
      int n = layerOf.size();
      x = new double[n];
      halfWidth = new double[n];
      double left = MARGIN;
      for (List<Integer> layer : layers) {
        double colHalf = 0;
        for (int v : layer) {
          if (!isDummy(v)) {
            double w = Math.max(NODE_H + 6, textWidth(textOf.get(v), NODE_FONT) + 20);
            halfWidth[v] = w / 2;
            colHalf = Math.max(colHalf, w / 2);
          }
        }
        for (int v : layer) {
          x[v] = left + colHalf;
          if (isDummy(v)) halfWidth[v] = colHalf;
        }
        left += 2 * colHalf + LAYER_GAP;
      }
    }

    /**
     * Heights: each vertex is pulled to the mean height of its neighbours, subject to the layer
     * order and minimum gaps; each layer's projection is an isotonic regression (pool adjacent
     * violators), so it is the closest feasible placement.
     */
    private void placeY() {
      int n = layerOf.size();
      y = new double[n];
      for (List<Integer> layer : layers) {
        double at = 0;
        for (int i = 0; i < layer.size(); i++) {
          if (i > 0) at += separation(layer.get(i - 1), layer.get(i));
          y[layer.get(i)] = at;
        }
      }
      List<int[]> segs = segments();
      for (int iter = 0; iter < 60; iter++) {
        boolean down = iter % 2 == 0;
        for (int k = 0; k < layers.size(); k++) {
          int l = down ? k : layers.size() - 1 - k;
          List<Integer> layer = layers.get(l);
          double[] want = new double[layer.size()];
          double[] weight = new double[layer.size()];
          for (int i = 0; i < layer.size(); i++) {
            int v = layer.get(i);
            double sum = 0;
            int cnt = 0;
            for (int[] s : segs) {
              if (s[0] == v) {
                sum += y[s[1]];
                cnt++;
              } else if (s[1] == v) {
                sum += y[s[0]];
                cnt++;
              }
            }
            want[i] = cnt == 0 ? y[v] : sum / cnt;
            // Dummies weigh more: straight long edges matter more than centred nodes.
            weight[i] = isDummy(v) ? 2 : 1;
          }
          double[] placed = project(layer, want, weight);
          for (int i = 0; i < layer.size(); i++) y[layer.get(i)] = placed[i];
        }
      }
    }

    private double separation(int a, int b) {
      return isDummy(a) || isDummy(b) ? (isDummy(a) && isDummy(b) ? DUMMY_SEP : (NODE_SEP + DUMMY_SEP) / 2) : NODE_SEP;
    }

    /** The heights closest to {@code want} (weighted least squares) keeping order and gaps. */
    private double[] project(List<Integer> layer, double[] want, double[] weight) {
      int m = layer.size();
      double[] offset = new double[m];
      for (int i = 1; i < m; i++) offset[i] = offset[i - 1] + separation(layer.get(i - 1), layer.get(i));
      // z_i = y_i - offset_i must be non-decreasing: isotonic regression of want_i - offset_i.
      double[] blockValue = new double[m];
      double[] blockWeight = new double[m];
      int[] blockSize = new int[m];
      int blocks = 0;
      for (int i = 0; i < m; i++) {
        blockValue[blocks] = want[i] - offset[i];
        blockWeight[blocks] = weight[i];
        blockSize[blocks] = 1;
        blocks++;
        while (blocks > 1 && blockValue[blocks - 2] > blockValue[blocks - 1]) {
          double w = blockWeight[blocks - 2] + blockWeight[blocks - 1];
          blockValue[blocks - 2] =
              (blockValue[blocks - 2] * blockWeight[blocks - 2]
                      + blockValue[blocks - 1] * blockWeight[blocks - 1])
                  / w;
          blockWeight[blocks - 2] = w;
          blockSize[blocks - 2] += blockSize[blocks - 1];
          blocks--;
        }
      }
      double[] out = new double[m];
      int i = 0;
      for (int b = 0; b < blocks; b++) {
        for (int k = 0; k < blockSize[b]; k++, i++) out[i] = blockValue[b] + offset[i];
      }
      return out;
    }

    // ---- edges ----

    private List<Edge> route() {
      int nv = layerOf.size();
      // Spread the ends of the edges meeting at a box along its side, in the order of the far
      // ends' heights, so arrowheads do not pile up.
      List<List<double[]>> outPorts = new ArrayList<>();
      List<List<double[]>> inPorts = new ArrayList<>();
      for (int v = 0; v < nv; v++) {
        outPorts.add(new ArrayList<>());
        inPorts.add(new ArrayList<>());
      }
      double[] outY = new double[chains.size()];
      double[] inY = new double[chains.size()];
      for (int e = 0; e < chains.size(); e++) {
        int[] c = chains.get(e);
        outPorts.get(c[0]).add(new double[] {y[c[1]], e});
        inPorts.get(c[c.length - 1]).add(new double[] {y[c[c.length - 2]], e});
      }
      for (int v = 0; v <= output; v++) {
        spread(outPorts.get(v), y[v], outY);
        spread(inPorts.get(v), y[v], inY);
      }
      List<Edge> edges = new ArrayList<>();
      for (int e = 0; e < chains.size(); e++) {
        int[] c = chains.get(e);
        List<Point[]> segs = new ArrayList<>();
        Point at = new Point(x[c[0]] + halfWidth[c[0]], outY[e]);
        for (int i = 1; i < c.length; i++) {
          int v = c[i];
          boolean last = i == c.length - 1;
          Point next = last ? new Point(x[v] - halfWidth[v] - ARROW_LEN, inY[e]) : new Point(x[v] - halfWidth[v], y[v]);
          double mid = (next.x() - at.x()) / 2;
          segs.add(new Point[] {at, new Point(at.x() + mid, at.y()), new Point(next.x() - mid, next.y()), next});
          at = next;
          if (!last) {
            Point through = new Point(x[v] + halfWidth[v], y[v]);
            segs.add(new Point[] {at, lerp(at, through, 1 / 3.0), lerp(at, through, 2 / 3.0), through});
            at = through;
          }
        }
        int target = c[c.length - 1];
        double tipX = x[target] - halfWidth[target];
        Point[] arrow = {
          new Point(tipX, inY[e]),
          new Point(tipX - ARROW_LEN, inY[e] - ARROW_HALF),
          new Point(tipX - ARROW_LEN, inY[e] + ARROW_HALF)
        };
        edges.add(new Edge(opOf.get(e), c[0], target, segs, arrow));
      }
      return edges;
    }

    private void spread(List<double[]> ports, double centre, double[] yOf) {
      ports.sort(Comparator.comparingDouble((double[] p) -> p[0]).thenComparingDouble(p -> p[1]));
      int k = ports.size();
      double step = k <= 1 ? 0 : Math.min(7, (NODE_H - 10) / (k - 1));
      for (int i = 0; i < k; i++) yOf[(int) ports.get(i)[1]] = centre + (i - (k - 1) / 2.0) * step;
    }

    private static Point lerp(Point a, Point b, double t) {
      return new Point(a.x() + (b.x() - a.x()) * t, a.y() + (b.y() - a.y()) * t);
    }

    // ---- labels ----

    private List<Label> placeLabels(List<Box> boxes, List<Edge> edges) {
      // Sample every edge once; a label should cover as little of other edges as possible.
      List<List<Point>> samples = new ArrayList<>();
      for (Edge e : edges) {
        List<Point> pts = new ArrayList<>();
        for (Point[] s : e.segments()) for (int i = 0; i <= 24; i++) pts.add(bezier(s, i / 24.0));
        samples.add(pts);
      }
      Integer[] order = new Integer[edges.size()];
      for (int i = 0; i < order.length; i++) order[i] = i;
      // Short edges have the fewest places to choose from: place them first.
      Arrays.sort(order, Comparator.comparingInt((Integer e) -> edges.get(e).segments().size()).thenComparingInt(e -> e));
      List<Label> placed = new ArrayList<>();
      double[] ts = {0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82};
      double[] lifts = {0, -(LABEL_H / 2 + 3), LABEL_H / 2 + 3, -(LABEL_H + 4), LABEL_H + 4};
      for (int e : order) {
        Edge edge = edges.get(e);
        if (edge.op() == null) continue;
        String text = edge.op().dartsName();
        double w = textWidth(text, LABEL_FONT) + 2 * LABEL_PAD_X;
        double h = LABEL_H;
        Label best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        List<Point[]> segs = edge.segments();
        for (int si = 0; si < segs.size(); si += 2) { // even segments cross a gap between layers
          for (double t : ts) {
            Point p = bezier(segs.get(si), t);
            for (int li = 0; li < lifts.length; li++) {
              Label cand = new Label(text, e, p.x(), p.y() + lifts[li], w, h);
              double cost = 0;
              for (Box b : boxes) {
                if (b.overlaps(cand.cx - w / 2, cand.cy - h / 2, cand.cx + w / 2, cand.cy + h / 2, 6)) cost += 1e6;
              }
              for (Edge other : edges) {
                if (covers(cand, other.arrow(), 3)) cost += 1e6;
              }
              for (Label o : placed) if (cand.overlaps(o, 2)) cost += 1e6;
              for (int f = 0; f < samples.size(); f++) {
                if (f == e && li == 0) continue;
                for (Point q : samples.get(f)) {
                  if (Math.abs(q.x() - cand.cx) < w / 2 + 2 && Math.abs(q.y() - cand.cy) < h / 2 + 2) cost += f == e ? 4 : 40;
                }
              }
              cost += 20 * Math.abs(t - 0.5) + 12 * li + 30 * ((segs.size() - 1 - si) / 2);
              if (cost < bestCost) {
                bestCost = cost;
                best = cand;
              }
            }
          }
        }
        placed.add(best);
      }
      placed.sort(Comparator.comparingInt(Label::edge));
      return placed;
    }

    /** True when the label covers any of the points (an arrowhead), with a margin. */
    private static boolean covers(Label l, Point[] pts, double pad) {
      double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY;
      double y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
      for (Point p : pts) {
        x0 = Math.min(x0, p.x());
        x1 = Math.max(x1, p.x());
        y0 = Math.min(y0, p.y());
        y1 = Math.max(y1, p.y());
      }
      return x0 < l.cx() + l.w() / 2 + pad && x1 > l.cx() - l.w() / 2 - pad
          && y0 < l.cy() + l.h() / 2 + pad && y1 > l.cy() - l.h() / 2 - pad;
    }


    // ---- final frame: shift everything to start at the margin, below the title ----

    private CellLayout frame(List<Box> boxes, List<Edge> edges, List<Label> labels) {
      double minX = Double.POSITIVE_INFINITY;
      double minY = Double.POSITIVE_INFINITY;
      double maxX = Double.NEGATIVE_INFINITY;
      double maxY = Double.NEGATIVE_INFINITY;
      for (Box b : boxes) {
        minX = Math.min(minX, b.cx() - b.w() / 2);
        maxX = Math.max(maxX, b.cx() + b.w() / 2);
        minY = Math.min(minY, b.cy() - b.h() / 2);
        maxY = Math.max(maxY, b.cy() + b.h() / 2);
      }
      for (Edge e : edges) {
        for (Point[] s : e.segments()) {
          for (int i = 0; i <= 16; i++) {
            Point p = bezier(s, i / 16.0);
            minY = Math.min(minY, p.y());
            maxY = Math.max(maxY, p.y());
          }
        }
      }
      for (Label l : labels) {
        minX = Math.min(minX, l.cx() - l.w() / 2);
        maxX = Math.max(maxX, l.cx() + l.w() / 2);
        minY = Math.min(minY, l.cy() - l.h() / 2);
        maxY = Math.max(maxY, l.cy() + l.h() / 2);
      }
      String title = cell == CellType.NORMAL ? "normal cell" : "reduction cell";
      double titleH = TITLE_FONT + 10;
      double dx = MARGIN - minX;
      double dy = MARGIN + titleH - minY;
      List<Box> b2 = new ArrayList<>();
      for (Box b : boxes) b2.add(new Box(b.text(), b.kind(), b.cx() + dx, b.cy() + dy, b.w(), b.h()));
      List<Edge> e2 = new ArrayList<>();
      for (Edge e : edges) {
        List<Point[]> segs = new ArrayList<>();
        for (Point[] s : e.segments()) segs.add(shift(s, dx, dy));
        e2.add(new Edge(e.op(), e.from(), e.to(), segs, shift(e.arrow(), dx, dy)));
      }
      List<Label> l2 = new ArrayList<>();
      for (Label l : labels) l2.add(new Label(l.text(), l.edge(), l.cx() + dx, l.cy() + dy, l.w(), l.h()));
      return new CellLayout(
          title, List.copyOf(b2), List.copyOf(e2), List.copyOf(l2),
          Math.ceil(maxX - minX + 2 * MARGIN), Math.ceil(maxY - minY + 2 * MARGIN + titleH),
          MARGIN + TITLE_FONT);
    }

    private static Point[] shift(Point[] pts, double dx, double dy) {
      Point[] out = new Point[pts.length];
      for (int i = 0; i < pts.length; i++) out[i] = new Point(pts[i].x() + dx, pts[i].y() + dy);
      return out;
    }
  }
}
