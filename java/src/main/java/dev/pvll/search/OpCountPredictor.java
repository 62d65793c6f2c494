package dev.pvll.search;

/**
 * A small psi option: how much of each op a cell type holds, linearly. With c[t][k] = sum over the
 * edges e of cell type t of H[t, e, k] (the expected count of op k), psi(H) = 2 * sigmoid(b + sum
 * w[t][k] * c[t][k]): 2 * ops + 1 parameters (17 for DARTS), all zero at the start (psi = 1).
 * It ignores where an op sits, which is what lets it fit a few dozen labels: on the 50 labels of
 * a frozen-label search a ridge regression on these counts ranked held-out labels with Kendall tau
 * 0.22 (leave-one-out), where the LSTM and the MLP scored near zero.
 */
public final class OpCountPredictor implements Predictor {
  private final ArchEncoding enc;
  private final double[] p; // w[t][k] at t * ops + k, then b
  private final double[] counts;

  /** A predictor with every parameter zero. */
  public OpCountPredictor(ArchEncoding encoding) {
    this.enc = encoding;
    p = new double[2 * encoding.ops() + 1];
    counts = new double[2 * encoding.ops()];
  }

  @Override
  public ArchEncoding encoding() {
    return enc;
  }

  @Override
  public double[] parameters() {
    return p;
  }

  @Override
  public double predict(double[] h) {
    return 2 * LstmPredictor.sigmoid(preActivation(h));
  }

  @Override
  public double backward(double[] h, double dOut, double[] paramGrad, double[] inputGrad) {
    double s = LstmPredictor.sigmoid(preActivation(h));
    checkParameterGradient(paramGrad);
    double dz = dOut * 2 * s * (1 - s);
    if (paramGrad != null) {
      for (int i = 0; i < counts.length; i++) paramGrad[i] += dz * counts[i];
      paramGrad[counts.length] += dz;
    }
    if (inputGrad != null) {
      enc.checkSize("input gradient", inputGrad);
      int ops = enc.ops(), edges = enc.edgesPerCell();
      for (int row = 0; row < enc.rows(); row++) {
        int t = row / edges;
        for (int k = 0; k < ops; k++) inputGrad[enc.index(row, k)] = dz * p[t * ops + k];
      }
    }
    return 2 * s;
  }

  /** b + w . counts; keeps the counts. */
  private double preActivation(double[] h) {
    enc.checkSize("architecture encoding", h);
    int ops = enc.ops(), edges = enc.edgesPerCell();
    java.util.Arrays.fill(counts, 0);
    for (int row = 0; row < enc.rows(); row++) {
      int t = row / edges;
      for (int k = 0; k < ops; k++) counts[t * ops + k] += h[enc.index(row, k)];
    }
    double z = p[counts.length];
    for (int i = 0; i < counts.length; i++) z += p[i] * counts[i];
    return z;
  }

  @Override
  public OpCountPredictor copy() {
    OpCountPredictor q = new OpCountPredictor(enc);
    System.arraycopy(p, 0, q.p, 0, p.length);
    return q;
  }

  @Override
  public String describe() {
    return "op counts per cell type (" + counts.length + ") -> Linear(" + counts.length + ", 1) -> 2*sigmoid, " + p.length + " parameters";
  }
}
