package dev.pvll.search;

/**
 * METHOD.md's psi: a one-layer LSTM (input = ops per edge, default hidden 16) reading the
 * encoding's rows as a sequence (normal edges, then reduction edges), its last hidden state
 * through Linear(hidden, 1), then 2 * sigmoid, so predictions lie in (0, 2).
 *
 * <p>PyTorch conventions: gates in the order input, forget, cell (g), output; h0 = c0 = 0; two
 * bias vectors. The flat parameter vector is laid out as PyTorch's named_parameters():
 * weight_ih [4H, I], weight_hh [4H, H], bias_ih [4H], bias_hh [4H], then the linear layer's
 * weight [1, H] and bias [1]. Initialisation as PyTorch: every LSTM parameter
 * U(-1/sqrt(H), 1/sqrt(H)); the linear layer U(-1/sqrt(H), 1/sqrt(H)) (fan-in H). For I = 8,
 * H = 16 that is 4*16*(8+16) + 2*4*16 + 16 + 1 = 1681 parameters.
 */
public final class LstmPredictor implements Predictor {
  /** METHOD.md: 16 hidden units. */
  public static final int DEFAULT_HIDDEN = 16;

  private final ArchEncoding enc;
  private final int in, hid, steps;
  private final int wIh, wHh, bIh, bHh, wOut, bOut;
  private final double[] p;
  // Workspace: per step the gate activations and cell/hidden states of the last forward.
  private final double[] gi, gf, gg, go, c, tc, h;
  private final double[] da, dh, dhPrev, dc;

  /** PyTorch-initialised predictor, deterministic in {@code seed}. */
  public LstmPredictor(ArchEncoding encoding, int hidden, long seed) {
    this(encoding, hidden);
    SplitMix64 rng = new SplitMix64(seed);
    double bound = 1 / Math.sqrt(hid);
    for (int i = 0; i < p.length; i++) p[i] = rng.uniform(-bound, bound);
  }

  /** METHOD.md's predictor: hidden 16. */
  public LstmPredictor(ArchEncoding encoding, long seed) {
    this(encoding, DEFAULT_HIDDEN, seed);
  }

  private LstmPredictor(ArchEncoding encoding, int hidden) {
    if (hidden < 1) throw new IllegalArgumentException("LSTM hidden size must be >= 1, got " + hidden);
    this.enc = encoding;
    this.in = encoding.ops();
    this.hid = hidden;
    this.steps = encoding.rows();
    int g4 = 4 * hid;
    wIh = 0;
    wHh = wIh + g4 * in;
    bIh = wHh + g4 * hid;
    bHh = bIh + g4;
    wOut = bHh + g4;
    bOut = wOut + hid;
    p = new double[bOut + 1];
    gi = new double[steps * hid];
    gf = new double[steps * hid];
    gg = new double[steps * hid];
    go = new double[steps * hid];
    c = new double[steps * hid];
    tc = new double[steps * hid];
    h = new double[steps * hid];
    da = new double[g4];
    dh = new double[hid];
    dhPrev = new double[hid];
    dc = new double[hid];
  }

  /** Number of parameters of an LSTM predictor with these sizes (1681 for 8 inputs, 16 hidden). */
  public static int parameterCount(int inputs, int hidden) {
    return 4 * hidden * (inputs + hidden) + 2 * 4 * hidden + hidden + 1;
  }

  public int hidden() {
    return hid;
  }

  @Override
  public ArchEncoding encoding() {
    return enc;
  }

  @Override
  public int parameterCount() {
    return p.length;
  }

  @Override
  public double[] parameters() {
    return p;
  }

  @Override
  public double predict(double[] x) {
    return 2 * sigmoid(forward(x));
  }

  @Override
  public double backward(double[] x, double dOut, double[] paramGrad, double[] inputGrad) {
    double y = forward(x), s = sigmoid(y);
    if (paramGrad != null && paramGrad.length != p.length) {
      throw new IllegalArgumentException(describe() + ": parameter gradient of " + paramGrad.length + " values for " + p.length);
    }
    if (inputGrad != null) enc.checkSize("input gradient", inputGrad);
    double dy = dOut * 2 * s * (1 - s);
    int last = (steps - 1) * hid;
    for (int k = 0; k < hid; k++) {
      dh[k] = dy * p[wOut + k];
      dc[k] = 0;
    }
    if (paramGrad != null) {
      for (int k = 0; k < hid; k++) paramGrad[wOut + k] += dy * h[last + k];
      paramGrad[bOut] += dy;
    }
    for (int t = steps - 1; t >= 0; t--) {
      int o = t * hid;
      for (int k = 0; k < hid; k++) {
        double i = gi[o + k], f = gf[o + k], g = gg[o + k], out = go[o + k], tanhC = tc[o + k];
        double cPrev = t > 0 ? c[o - hid + k] : 0;
        double dcTotal = dc[k] + dh[k] * out * (1 - tanhC * tanhC);
        da[k] = dcTotal * g * i * (1 - i);
        da[hid + k] = dcTotal * cPrev * f * (1 - f);
        da[2 * hid + k] = dcTotal * i * (1 - g * g);
        da[3 * hid + k] = dh[k] * tanhC * out * (1 - out);
        dc[k] = dcTotal * f;
      }
      int xo = t * in;
      if (paramGrad != null) {
        for (int r = 0; r < 4 * hid; r++) {
          double d = da[r];
          int wi = wIh + r * in, wh = wHh + r * hid;
          for (int j = 0; j < in; j++) paramGrad[wi + j] += d * x[xo + j];
          if (t > 0) for (int k = 0; k < hid; k++) paramGrad[wh + k] += d * h[o - hid + k];
          paramGrad[bIh + r] += d;
          paramGrad[bHh + r] += d;
        }
      }
      if (inputGrad != null) {
        for (int j = 0; j < in; j++) inputGrad[xo + j] = 0;
        for (int r = 0; r < 4 * hid; r++) {
          double d = da[r];
          int wi = wIh + r * in;
          for (int j = 0; j < in; j++) inputGrad[xo + j] += d * p[wi + j];
        }
      }
      if (t > 0) {
        for (int k = 0; k < hid; k++) dhPrev[k] = 0;
        for (int r = 0; r < 4 * hid; r++) {
          double d = da[r];
          int wh = wHh + r * hid;
          for (int k = 0; k < hid; k++) dhPrev[k] += d * p[wh + k];
        }
        System.arraycopy(dhPrev, 0, dh, 0, hid);
      }
    }
    return 2 * s;
  }

  /** Runs the sequence, keeping every step's activations; returns the pre-sigmoid output. */
  private double forward(double[] x) {
    enc.checkSize("architecture encoding", x);
    for (int t = 0; t < steps; t++) {
      int o = t * hid, xo = t * in;
      for (int k = 0; k < hid; k++) {
        double ai = gate(0, k, x, xo, t), af = gate(1, k, x, xo, t), ag = gate(2, k, x, xo, t), ao = gate(3, k, x, xo, t);
        double i = sigmoid(ai), f = sigmoid(af), g = Math.tanh(ag), out = sigmoid(ao);
        double cell = f * (t > 0 ? c[o - hid + k] : 0) + i * g;
        double tanhC = Math.tanh(cell);
        gi[o + k] = i;
        gf[o + k] = f;
        gg[o + k] = g;
        go[o + k] = out;
        c[o + k] = cell;
        tc[o + k] = tanhC;
        h[o + k] = out * tanhC;
      }
    }
    double y = p[bOut];
    int last = (steps - 1) * hid;
    for (int k = 0; k < hid; k++) y += p[wOut + k] * h[last + k];
    return y;
  }

  /** Pre-activation of gate {@code gate} (0 i, 1 f, 2 g, 3 o), unit k, at step t. */
  private double gate(int gate, int k, double[] x, int xo, int t) {
    int r = gate * hid + k;
    double a = p[bIh + r] + p[bHh + r];
    int wi = wIh + r * in;
    for (int j = 0; j < in; j++) a += p[wi + j] * x[xo + j];
    if (t > 0) {
      int wh = wHh + r * hid, ho = (t - 1) * hid;
      for (int j = 0; j < hid; j++) a += p[wh + j] * h[ho + j];
    }
    return a;
  }

  static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  @Override
  public LstmPredictor copy() {
    LstmPredictor q = new LstmPredictor(enc, hid);
    System.arraycopy(p, 0, q.p, 0, p.length);
    return q;
  }

  @Override
  public String describe() {
    return "LSTM(" + in + " -> " + hid + ", " + steps + " steps) -> Linear(" + hid + ", 1) -> 2*sigmoid, " + p.length + " parameters";
  }
}
