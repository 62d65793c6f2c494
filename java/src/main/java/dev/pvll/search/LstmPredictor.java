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
    checkParameterGradient(paramGrad);
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

  // ---- batched path: activations stored [step][unit][sample] so the loops over the batch
  // are contiguous and the JIT vectorises them. Same arithmetic as the one-sample path.
  private int batch;
  private double[] bx, bi, bf, bg, bo, bc, btc, bh, bacc, bsig, bdh, bdc, bdhPrev;

  /** Sizes the batch workspace for n samples (the stride of every array is n). */
  private void ensureBatch(int n) {
    batch = n;
    if (bx != null && bsig.length >= n) return;
    bx = new double[steps * in * n];
    bi = new double[steps * hid * n];
    bf = new double[steps * hid * n];
    bg = new double[steps * hid * n];
    bo = new double[steps * hid * n];
    bc = new double[steps * hid * n];
    btc = new double[steps * hid * n];
    bh = new double[steps * hid * n];
    bacc = new double[4 * hid * n];
    bsig = new double[n];
    bdh = new double[hid * n];
    bdc = new double[hid * n];
    bdhPrev = new double[hid * n];
  }

  @Override
  public double[] forwardBatch(double[][] hs) {
    int n = hs.length;
    double[] out = new double[n];
    if (n == 0) return out;
    ensureBatch(n);
    for (int b = 0; b < n; b++) {
      enc.checkSize("architecture encoding", hs[b]);
      double[] x = hs[b];
      for (int e = 0; e < steps * in; e++) bx[e * n + b] = x[e];
    }
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < 4 * hid; r++) {
        int ao = r * n;
        double bias = p[bIh + r] + p[bHh + r];
        for (int b = 0; b < n; b++) bacc[ao + b] = bias;
        for (int j = 0; j < in; j++) axpy(p[wIh + r * in + j], bx, (t * in + j) * n, bacc, ao, n);
        if (t > 0) for (int k = 0; k < hid; k++) axpy(p[wHh + r * hid + k], bh, ((t - 1) * hid + k) * n, bacc, ao, n);
      }
      for (int k = 0; k < hid; k++) {
        int o = (t * hid + k) * n, prev = ((t - 1) * hid + k) * n;
        for (int b = 0; b < n; b++) {
          double i = sigmoid(bacc[k * n + b]), f = sigmoid(bacc[(hid + k) * n + b]);
          double g = tanh(bacc[(2 * hid + k) * n + b]), ot = sigmoid(bacc[(3 * hid + k) * n + b]);
          double cell = f * (t > 0 ? bc[prev + b] : 0) + i * g;
          double tanhC = tanh(cell);
          bi[o + b] = i;
          bf[o + b] = f;
          bg[o + b] = g;
          bo[o + b] = ot;
          bc[o + b] = cell;
          btc[o + b] = tanhC;
          bh[o + b] = ot * tanhC;
        }
      }
    }
    for (int b = 0; b < n; b++) {
      double y = p[bOut];
      for (int k = 0; k < hid; k++) y += p[wOut + k] * bh[((steps - 1) * hid + k) * n + b];
      bsig[b] = sigmoid(y);
      out[b] = 2 * bsig[b];
    }
    return out;
  }

  @Override
  public void backwardBatch(double[][] hs, double[] dOut, double[] paramGrad) {
    int n = hs.length;
    if (n == 0) return;
    if (n != batch || dOut.length != n) throw new IllegalArgumentException("backwardBatch: not the batch of the last forwardBatch");
    if (paramGrad.length != p.length) {
      throw new IllegalArgumentException(describe() + ": parameter gradient of " + paramGrad.length + " values for " + p.length);
    }
    double[] dy = new double[n];
    for (int b = 0; b < n; b++) dy[b] = dOut[b] * 2 * bsig[b] * (1 - bsig[b]);
    int last = (steps - 1) * hid;
    for (int k = 0; k < hid; k++) {
      for (int b = 0; b < n; b++) {
        bdh[k * n + b] = dy[b] * p[wOut + k];
        bdc[k * n + b] = 0;
      }
      paramGrad[wOut + k] += dot(dy, 0, bh, (last + k) * n, n);
    }
    for (int b = 0; b < n; b++) paramGrad[bOut] += dy[b];
    double[] da = bacc; // reused as the gates' pre-activation gradients
    for (int t = steps - 1; t >= 0; t--) {
      for (int k = 0; k < hid; k++) {
        int o = (t * hid + k) * n, prev = ((t - 1) * hid + k) * n, kb = k * n;
        for (int b = 0; b < n; b++) {
          double i = bi[o + b], f = bf[o + b], g = bg[o + b], ot = bo[o + b], tanhC = btc[o + b];
          double cPrev = t > 0 ? bc[prev + b] : 0;
          double dcTotal = bdc[kb + b] + bdh[kb + b] * ot * (1 - tanhC * tanhC);
          da[kb + b] = dcTotal * g * i * (1 - i);
          da[(hid + k) * n + b] = dcTotal * cPrev * f * (1 - f);
          da[(2 * hid + k) * n + b] = dcTotal * i * (1 - g * g);
          da[(3 * hid + k) * n + b] = bdh[kb + b] * tanhC * ot * (1 - ot);
          bdc[kb + b] = dcTotal * f;
        }
      }
      for (int r = 0; r < 4 * hid; r++) {
        int ao = r * n;
        for (int j = 0; j < in; j++) paramGrad[wIh + r * in + j] += dot(da, ao, bx, (t * in + j) * n, n);
        if (t > 0) for (int k = 0; k < hid; k++) paramGrad[wHh + r * hid + k] += dot(da, ao, bh, ((t - 1) * hid + k) * n, n);
        double sum = 0;
        for (int b = 0; b < n; b++) sum += da[ao + b];
        paramGrad[bIh + r] += sum;
        paramGrad[bHh + r] += sum;
      }
      if (t > 0) {
        java.util.Arrays.fill(bdhPrev, 0, hid * n, 0);
        for (int r = 0; r < 4 * hid; r++) {
          for (int k = 0; k < hid; k++) axpy(p[wHh + r * hid + k], da, r * n, bdhPrev, k * n, n);
        }
        System.arraycopy(bdhPrev, 0, bdh, 0, hid * n);
      }
    }
  }

  /** y[yo..yo+n) += a * x[xo..xo+n). */
  private static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
    for (int i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
  }

  /** sum of x[xo+i] * y[yo+i], four partial sums (the JIT does not reorder double sums). */
  private static double dot(double[] x, int xo, double[] y, int yo, int n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += x[xo + i] * y[yo + i];
      s1 += x[xo + i + 1] * y[yo + i + 1];
      s2 += x[xo + i + 2] * y[yo + i + 2];
      s3 += x[xo + i + 3] * y[yo + i + 3];
    }
    for (; i < n; i++) s0 += x[xo + i] * y[yo + i];
    return (s0 + s1) + (s2 + s3);
  }

  /** Runs the sequence, keeping every step's activations; returns the pre-sigmoid output. */
  private double forward(double[] x) {
    enc.checkSize("architecture encoding", x);
    for (int t = 0; t < steps; t++) {
      int o = t * hid, xo = t * in;
      for (int k = 0; k < hid; k++) {
        double ai = gate(0, k, x, xo, t), af = gate(1, k, x, xo, t), ag = gate(2, k, x, xo, t), ao = gate(3, k, x, xo, t);
        double i = sigmoid(ai), f = sigmoid(af), g = tanh(ag), out = sigmoid(ao);
        double cell = f * (t > 0 ? c[o - hid + k] : 0) + i * g;
        double tanhC = tanh(cell);
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

  /**
   * tanh through one exp: Math.tanh costs about twice as much on JDK 17, and from JDK 24 it is a
   * JIT intrinsic whose last bits differ from JDK 17's; Math.exp gives the same bits on both.
   */
  static double tanh(double z) {
    double e = Math.exp(-2 * Math.abs(z));
    return Math.copySign((1 - e) / (1 + e), z);
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
