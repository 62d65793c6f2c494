package example;

import dev.pvll.kernels.ConvOps;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import java.util.Random;

/**
 * A depthwise-separable block, y = pointwise(depthwise(relu(x))), forward and backward on
 * pvll-kernels, checked against plain Java loops in double precision. The loss is sum(y * g) for a
 * fixed random g, so dL/dy = g. Exits 1 when any value is off.
 *
 * <p>Argument: the device (cpu, the default, or cuda:N).
 */
public final class SeparableBlock {
  static final int N = 2, C = 4, H = 9, W = 7, K = 3, DILATION = 2, COUT = 6;

  public static void main(String[] args) {
    Device device = Device.parse(args.length > 0 ? args[0] : "cpu");
    Random random = new Random(42);
    float[] x = normal(random, N * C * H * W), wd = normal(random, C * K * K), wp = normal(random, COUT * C),
        g = normal(random, N * COUT * H * W);

    float[] y, dx, dwd, dwp;
    try (Scope step = Scope.open()) {
      Tensor tx = Tensor.of(device, x, N, C, H, W);
      Tensor tWd = Tensor.of(device, wd, C, 1, K, K);
      Tensor tWp = Tensor.of(device, wp, COUT, C, 1, 1);
      // forward
      Tensor r = ElementwiseOps.relu(tx);
      Tensor d = ConvOps.depthwise(r, tWd, 1, DILATION);
      Tensor ty = ConvOps.pointwise(d, tWp);
      // backward from dL/dy = g
      Tensor dy = Tensor.of(device, g, N, COUT, H, W);
      Tensor dd = Tensor.emptyLike(d), dr = Tensor.emptyLike(r), tdx = Tensor.emptyLike(tx);
      Tensor tdWp = Tensor.emptyLike(tWp), tdWd = Tensor.emptyLike(tWd);
      ConvOps.pointwiseBackwardWeight(d, dy, tdWp, false);
      ConvOps.pointwiseBackwardInput(dy, tWp, dd, false);
      ConvOps.depthwiseBackwardWeight(r, dd, tdWd, 1, DILATION, false);
      ConvOps.depthwiseBackwardInput(dd, tWd, dr, 1, DILATION, false);
      ElementwiseOps.reluBackward(tx, dr, tdx);
      y = ty.toArray();
      dx = tdx.toArray();
      dwd = tdWd.toArray();
      dwp = tdWp.toArray();
    }

    Reference ref = new Reference(x, wd, wp, g);
    int bad = check("y", y, ref.y) + check("dx", dx, ref.dx) + check("d depthwise weight", dwd, ref.dwd)
        + check("d pointwise weight", dwp, ref.dwp);
    System.out.printf("depthwise-separable block on %s: %s%n", device, bad == 0 ? "forward and backward match" : bad + " values off");
    System.exit(bad == 0 ? 0 : 1);
  }

  /** The count of values of got off ref by more than 1e-4 (+1e-4 relative); prints the worst. */
  static int check(String what, float[] got, double[] ref) {
    int bad = 0;
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double diff = Math.abs(got[i] - ref[i]);
      worst = Math.max(worst, diff);
      if (!(diff <= 1e-4 + 1e-4 * Math.abs(ref[i]))) bad++;
    }
    System.out.printf("  %-20s %4d values, max |diff| %.2e%s%n", what, ref.length, worst, bad > 0 ? ", " + bad + " OFF" : "");
    return bad;
  }

  static float[] normal(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
    return v;
  }

  /** The block and its gradients as plain loops in double (padding dilation*(K-1)/2, stride 1). */
  static final class Reference {
    final double[] y = new double[N * COUT * H * W], dx = new double[N * C * H * W], dwd = new double[C * K * K],
        dwp = new double[COUT * C];

    Reference(float[] x, float[] wd, float[] wp, float[] g) {
      int pad = DILATION * (K - 1) / 2;
      double[] r = new double[x.length], d = new double[N * C * H * W], dd = new double[d.length], dr = new double[r.length];
      for (int i = 0; i < x.length; i++) r[i] = Math.max(x[i], 0);
      for (int n = 0; n < N; n++) for (int c = 0; c < C; c++) for (int h = 0; h < H; h++) for (int w = 0; w < W; w++) {
        double s = 0;
        for (int i = 0; i < K; i++) for (int j = 0; j < K; j++) {
          int ih = h - pad + i * DILATION, iw = w - pad + j * DILATION;
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += r[((n * C + c) * H + ih) * W + iw] * wd[(c * K + i) * K + j];
        }
        d[((n * C + c) * H + h) * W + w] = s;
      }
      for (int n = 0; n < N; n++) for (int o = 0; o < COUT; o++) for (int p = 0; p < H * W; p++) {
        double s = 0;
        for (int c = 0; c < C; c++) s += wp[o * C + c] * d[(n * C + c) * H * W + p];
        y[(n * COUT + o) * H * W + p] = s;
      }
      for (int n = 0; n < N; n++) for (int o = 0; o < COUT; o++) for (int c = 0; c < C; c++) for (int p = 0; p < H * W; p++) {
        double go = g[(n * COUT + o) * H * W + p];
        dwp[o * C + c] += go * d[(n * C + c) * H * W + p];
        dd[(n * C + c) * H * W + p] += go * wp[o * C + c];
      }
      for (int n = 0; n < N; n++) for (int c = 0; c < C; c++) for (int h = 0; h < H; h++) for (int w = 0; w < W; w++) {
        double gd = dd[((n * C + c) * H + h) * W + w];
        for (int i = 0; i < K; i++) for (int j = 0; j < K; j++) {
          int ih = h - pad + i * DILATION, iw = w - pad + j * DILATION;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
          int at = ((n * C + c) * H + ih) * W + iw;
          dwd[(c * K + i) * K + j] += gd * r[at];
          dr[at] += gd * wd[(c * K + i) * K + j];
        }
      }
      for (int i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dr[i] : 0;
    }
  }
}
