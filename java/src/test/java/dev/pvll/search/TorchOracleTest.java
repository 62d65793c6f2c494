package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import dev.pvll.testing.Torch;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.LSTMImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;

/**
 * PyTorch conventions checked against libtorch itself (in float64, see {@link Torch}): the LSTM predictor's gate
 * order and parameter layout (torch::nn::LSTM with the same weights gives the same psi and the
 * same gradients), and Adam's update rule (torch::optim::Adam with betas and weight decay).
 */
class TorchOracleTest {
  private static final ArchEncoding ENC = ArchEncoding.DARTS;

  @Test
  void lstmPredictorMatchesTorchLstm() {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    LstmPredictor psi = new LstmPredictor(ENC, r.nextLong());
    double[] p = psi.parameters();
    for (int i = 0; i < p.length; i++) p[i] = (float) (p[i] * 4); // float-exact, and far from linear
    double[] h = PredictorGradientTest.randomH(ENC, r);
    for (int i = 0; i < h.length; i++) h[i] = (float) h[i];
    int in = 8, hid = 16;
    Torch.init();
    LSTMImpl lstm = new LSTMImpl(in, hid);
    lstm.to(org.bytedeco.pytorch.global.torch.ScalarType.Double, false); // the oracle computes in float64
    TensorVector params = lstm.parameters(); // weight_ih, weight_hh, bias_ih, bias_hh
    long[][] shapes = {{4 * hid, in}, {4 * hid, hid}, {4 * hid}, {4 * hid}};
    int at = 0;
    try (NoGradGuard g = new NoGradGuard()) {
      for (int k = 0; k < 4; k++) {
        int n = (int) (shapes[k].length == 2 ? shapes[k][0] * shapes[k][1] : shapes[k][0]);
        params.get(k).copy_(Torch.tensor(slice(p, at, n), shapes[k]));
        at += n;
      }
    }
    Tensor x = Torch.leaf(toFloat(h), ENC.rows(), 1, in);
    Tensor w = Torch.leaf(slice(p, at, hid), hid);
    Tensor b = Torch.leaf(slice(p, at + hid, 1), 1);
    Tensor last = lstm.forward(x).get0().select(0, ENC.rows() - 1).select(0, 0); // [hid]
    Tensor y = last.mul(w).sum().add(b.sum()).sigmoid().mul(new org.bytedeco.pytorch.Scalar(2.0));
    y.backward();
    double[] grad = new double[p.length], dh = new double[h.length];
    double pred = psi.backward(h, 1, grad, dh);
    assertEquals(y.item_double(), pred, 1e-5, "psi, seed " + seed);
    float[] torchGrad = new float[p.length];
    at = 0;
    for (Tensor t : new Tensor[] {params.get(0), params.get(1), params.get(2), params.get(3), w, b}) {
      float[] g = Torch.array(t.grad());
      System.arraycopy(g, 0, torchGrad, at, g.length);
      at += g.length;
    }
    Tolerance close = new Tolerance(2e-5, 1e-3);
    close.assertClose("d psi / d theta vs libtorch", torchGrad, toFloat(grad), seed);
    close.assertClose("d psi / d H vs libtorch", Torch.array(x.grad()), toFloat(dh), seed);
  }

  @Test
  void adamMatchesTorchAdamWithBetasAndWeightDecay() {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    int n = 50;
    float[] start = new float[n];
    for (int i = 0; i < n; i++) start[i] = (float) r.nextGaussian();
    Torch.init();
    Tensor tp = Torch.leaf(start, n);
    AdamOptions options = new AdamOptions(3e-2);
    // betas() points at a std::tuple<double, double>, which libstdc++ lays out last element
    // first: beta2 is at index 0, beta1 at index 1.
    options.betas().put(0, 0.999).put(1, 0.5);
    options.weight_decay().put(1e-1);
    org.bytedeco.pytorch.Adam torchAdam = new org.bytedeco.pytorch.Adam(new TensorVector(tp), options);
    double[] p = new double[n];
    for (int i = 0; i < n; i++) p[i] = start[i];
    Adam adam = new Adam(n, new Adam.Options(3e-2, 0.5, 0.999, 1e-8, 1e-1));
    for (int step = 0; step < 6; step++) {
      float[] c = new float[n];
      double[] g = new double[n];
      for (int i = 0; i < n; i++) g[i] = c[i] = (float) r.nextGaussian();
      torchAdam.zero_grad();
      tp.mul(Torch.tensor(c, n)).sum().backward(); // gradient c
      torchAdam.step();
      adam.step(p, g);
    }
    new Tolerance(1e-5, 1e-5).assertClose("parameters after 6 Adam steps", Torch.array(tp), toFloat(p), seed);
    assertEquals(6, adam.steps());
  }

  private static float[] slice(double[] v, int from, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = (float) v[from + i];
    return out;
  }

  private static float[] toFloat(double[] v) {
    return slice(v, 0, v.length);
  }
}
