package dev.pvll.search;

/** The lowest label measured in a run and its architecture's H. */
final class BestMeasured {
  private double loss = Double.POSITIVE_INFINITY;
  private double[] h;

  /** Keeps a when its label is the lowest so far. */
  void offer(Architecture a, double label) {
    if (label < loss) {
      loss = label;
      h = a.weights().clone();
    }
  }

  double loss() {
    return loss;
  }

  /** H of the best architecture, null before the first label. */
  double[] h() {
    return h;
  }

  void restore(double savedLoss, double[] savedH) {
    loss = savedLoss;
    h = savedH;
  }
}
