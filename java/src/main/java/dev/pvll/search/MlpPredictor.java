package dev.pvll.search;

import java.util.Arrays;

/**
 * An alternative psi: the flattened encoding through fully connected layers with tanh between
 * them, a final Linear(last, 1), then 2 * sigmoid. tanh rather than ReLU keeps psi smooth in H,
 * so the architecture step's gradient has no kinks. Parameters per layer as PyTorch's
 * nn.Linear (weight [out, in], then bias [out]), initialised U(-1/sqrt(in), 1/sqrt(in)).
 */
public final class MlpPredictor implements Predictor {
  /** Default hidden layer widths. */
  public static final int[] DEFAULT_HIDDEN = {32};

  private final ArchEncoding enc;
  private final int[] widths; // input, hidden..., 1
  private final int[] weightAt, biasAt;
  private final double[] p;
  private final double[][] act; // act[0] = input copy, act[l] = layer l output (tanh applied)
  private final double[][] grad;

  /** PyTorch-initialised predictor, deterministic in {@code seed}. */
  public MlpPredictor(ArchEncoding encoding, int[] hidden, long seed) {
    this(encoding, hidden);
    SplitMix64 rng = new SplitMix64(seed);
    for (int l = 0; l + 1 < widths.length; l++) {
      double bound = 1 / Math.sqrt(widths[l]);
      int n = widths[l + 1] * widths[l] + widths[l + 1];
      for (int i = 0; i < n; i++) p[weightAt[l] + i] = rng.uniform(-bound, bound);
    }
  }

  private MlpPredictor(ArchEncoding encoding, int[] hidden) {
    this.enc = encoding;
    widths = new int[hidden.length + 2];
    widths[0] = encoding.size();
    for (int l = 0; l < hidden.length; l++) {
      if (hidden[l] < 1) throw new IllegalArgumentException("MLP hidden widths must be >= 1, got " + Arrays.toString(hidden));
      widths[l + 1] = hidden[l];
    }
    widths[widths.length - 1] = 1;
    weightAt = new int[widths.length - 1];
    biasAt = new int[widths.length - 1];
    int at = 0;
    for (int l = 0; l + 1 < widths.length; l++) {
      weightAt[l] = at;
      biasAt[l] = at + widths[l + 1] * widths[l];
      at = biasAt[l] + widths[l + 1];
    }
    p = new double[at];
    act = new double[widths.length][];
    grad = new double[widths.length][];
    for (int l = 0; l < widths.length; l++) {
      act[l] = new double[widths[l]];
      grad[l] = new double[widths[l]];
    }
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
  public double predict(double[] x) {
    return 2 * LstmPredictor.sigmoid(forward(x));
  }

  @Override
  public double backward(double[] x, double dOut, double[] paramGrad, double[] inputGrad) {
    double y = forward(x), s = LstmPredictor.sigmoid(y);
    checkParameterGradient(paramGrad);
    if (inputGrad != null) enc.checkSize("input gradient", inputGrad);
    int layers = widths.length - 1;
    grad[layers][0] = dOut * 2 * s * (1 - s); // d/d(pre-activation) of the output layer
    for (int l = layers - 1; l >= 0; l--) {
      int nIn = widths[l], nOut = widths[l + 1];
      double[] dz = grad[l + 1], a = act[l], da = grad[l];
      if (paramGrad != null) {
        for (int o = 0; o < nOut; o++) {
          int w = weightAt[l] + o * nIn;
          for (int i = 0; i < nIn; i++) paramGrad[w + i] += dz[o] * a[i];
          paramGrad[biasAt[l] + o] += dz[o];
        }
      }
      if (l == 0 && inputGrad == null) break;
      Arrays.fill(da, 0);
      for (int o = 0; o < nOut; o++) {
        int w = weightAt[l] + o * nIn;
        for (int i = 0; i < nIn; i++) da[i] += dz[o] * p[w + i];
      }
      if (l > 0) for (int i = 0; i < nIn; i++) da[i] *= 1 - a[i] * a[i]; // through tanh
    }
    if (inputGrad != null) System.arraycopy(grad[0], 0, inputGrad, 0, inputGrad.length);
    return 2 * s;
  }

  /** Returns the output layer's pre-activation; keeps every layer's output. */
  private double forward(double[] x) {
    enc.checkSize("architecture encoding", x);
    System.arraycopy(x, 0, act[0], 0, x.length);
    int layers = widths.length - 1;
    for (int l = 0; l < layers; l++) {
      int nIn = widths[l], nOut = widths[l + 1];
      double[] a = act[l], z = act[l + 1];
      for (int o = 0; o < nOut; o++) {
        int w = weightAt[l] + o * nIn;
        double sum = p[biasAt[l] + o];
        for (int i = 0; i < nIn; i++) sum += p[w + i] * a[i];
        // StrictMath: Math.tanh became a JIT intrinsic in JDK 24 whose last bits differ from
        // JDK 17's (and StrictMath's) results, which would change a search from one JDK to the next
        z[o] = l + 1 < layers ? StrictMath.tanh(sum) : sum;
      }
    }
    return act[layers][0];
  }

  @Override
  public MlpPredictor copy() {
    MlpPredictor q = new MlpPredictor(enc, Arrays.copyOfRange(widths, 1, widths.length - 1));
    System.arraycopy(p, 0, q.p, 0, p.length);
    return q;
  }

  /** The hidden layer widths. */
  public int[] hidden() {
    return Arrays.copyOfRange(widths, 1, widths.length - 1);
  }

  @Override
  public String describe() {
    return "MLP(" + widths[0] + " -> " + Arrays.toString(hidden()) + " tanh -> 1) -> 2*sigmoid, " + p.length + " parameters";
  }
}
