package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.nn.Parameter;
import dev.pvll.space.NetworkConfig;
import dev.pvll.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Finite differences on the whole supernet (5 cells, C=4, 3x16x16, batch 8, training-mode BN).
 *
 * <p>The loss is float32 and kinked (ReLU, max-pool, batch statistics of 8 images on 4x4 maps):
 * measured here, the loss along one edge weight can bend by 30% in slope within 4e-5 of the
 * current point, so a central difference can miss a correct backward by 10-25% on a few edges or
 * tensors, and the old criterion (central difference within 10%, one miss in 8 or 10 allowed)
 * failed 2 of 50 seeds on the tensors and once in CI on the edges. So each check brackets backward's value between the two one-sided
 * difference quotients (where the loss is smooth they agree and this is the usual test; at a kink
 * backward returns one of the one-sided slopes or a value between them), with 10% slack plus an
 * absolute floor for float32 rounding of the loss. Measured over 80 (edges) and 50 (tensors)
 * seeds: at most 2 of 24 edges and 3 of 129 tensors outside; backward scaled by 1.3 puts 17+ edges
 * and 102+ tensors outside; the allowances below sit between. The libtorch golden test
 * (SearchNetworkTest) checks every gradient, edge weights included, to 1e-3 on top of this.
 */
class SearchNetworkGradientCheckTest {
  static final NetworkConfig SMALL = new NetworkConfig(5, 4, 4, 3, 10, 16, 3);
  private static final int BATCH = 8;
  private static final float[] LABELS = {1, 4, 7, 2, 0, 9, 3, 3};

  @Test
  void everyParameterTensorsDirectionalDerivativeMatchesBackward() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork net = new SearchNetwork(SMALL, Device.cpu(), seed); Scope s = Scope.open()) {
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SMALL.edges(), true);
      Tensor x = Tensor.of(Device.cpu(), Seeds.normal(r, BATCH * 3 * 256), BATCH, 3, 16, 16);
      Tensor y = Tensor.of(Device.cpu(), LABELS, BATCH);
      try (SupernetStep step = new SupernetStep(net, SgdConfig.DARTS, BATCH, StepLaunch.AUTO, 1)) {
        step.setArchitecture(arch);
        step.edgeGradients(x, y, null);
      }
      float[] g = net.parameters().grads().toArray();
      float[] base = net.parameters().values().toArray();
      double base0 = loss(net, base, new float[base.length], 0, x, y, arch);
      List<String> misses = new ArrayList<>();
      int checked = 0;
      for (Parameter p : net.parameters().parameters()) {
        float[] v = new float[base.length];
        double analytic = 0;
        for (long i = p.offset(); i < p.offset() + p.size(); i++) {
          v[(int) i] = (float) r.nextGaussian();
          analytic += v[(int) i] * g[(int) i];
        }
        if (analytic == 0) continue; // an op the architecture does not run
        double eps = 3e-5;
        double plus = loss(net, base, v, eps, x, y, arch), minus = loss(net, base, v, -eps, x, y, arch);
        checked++;
        if (!bracketed(analytic, (base0 - minus) / eps, (plus - base0) / eps, 1e-2)) {
          misses.add(String.format("%s: backward %.5f, one-sided differences %.5f and %.5f", p.name(), analytic, (base0 - minus) / eps, (plus - base0) / eps));
        }
      }
      net.parameters().values().copyFrom(base);
      assertTrue(checked > 50, "too few tensors checked: " + checked);
      assertTrue(misses.size() <= checked / 20, misses.size() + " of " + checked + " tensors miss (seed " + seed + "): " + misses);
    }
  }

  @Test
  void edgeWeightGradientsMatchFiniteDifferences() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork net = new SearchNetwork(SMALL, Device.cpu(), seed); Scope s = Scope.open();
        SupernetStep step = new SupernetStep(net, SgdConfig.DARTS, BATCH, StepLaunch.AUTO, 1)) {
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SMALL.edges(), true);
      Tensor x = Tensor.of(Device.cpu(), Seeds.normal(r, BATCH * 3 * 256), BATCH, 3, 16, 16);
      Tensor y = Tensor.of(Device.cpu(), LABELS, BATCH);
      int edges = SMALL.edges();
      double[][] g = new double[2][edges];
      step.setArchitecture(arch);
      step.edgeGradients(x, y, g);
      double base0 = loss(net, x, y, arch);
      List<String> misses = new ArrayList<>();
      int checked = 0;
      for (int t = 0; t < 2; t++) {
        for (int e = 0; e < edges; e++) {
          if (arch.forCell(t == 1).ops()[e] == 0) {
            assertEquals(0, g[t][e], "none has no gradient");
            continue;
          }
          double h = 1e-4;
          double left = (base0 - loss(net, x, y, shift(arch, t, e, -h))) / h;
          double right = (loss(net, x, y, shift(arch, t, e, h)) - base0) / h;
          checked++;
          if (!bracketed(g[t][e], left, right, 3e-3)) {
            misses.add(String.format("edge %d of cell type %d: backward %.5f, one-sided differences %.5f and %.5f", e, t, g[t][e], left, right));
          }
        }
      }
      assertTrue(checked > 20, "too few edges checked: " + checked);
      assertTrue(misses.size() <= checked / 8, misses.size() + " of " + checked + " edges miss (seed " + seed + "): " + misses);
    }
  }

  /**
   * Whether backward lies between the left and right difference quotients, give or take 10% of
   * the larger and an absolute floor (float32 rounding of a loss near 2.3 is 2.4e-7, over the step).
   */
  private static boolean bracketed(double backward, double left, double right, double floor) {
    double lo = Math.min(left, right), hi = Math.max(left, right);
    double slack = 0.1 * Math.max(Math.abs(lo), Math.abs(hi)) + floor;
    return backward >= lo - slack && backward <= hi + slack;
  }

  /** The loss of a training-mode forward through arch. */
  private static double loss(SearchNetwork net, Tensor x, Tensor y, SampledArchitecture arch) {
    try (Scope s = Scope.open(); DeviceArchitecture d = new DeviceArchitecture(Device.cpu(), SMALL.edges())) {
      d.set(arch);
      return LossOps.softmaxCrossEntropy(net.forward(x, d, d.hostBranching(), null, Mode.TRAIN), y, null).loss();
    }
  }

  private static double loss(SearchNetwork net, float[] base, float[] v, double eps, Tensor x, Tensor y, SampledArchitecture arch) {
    float[] p = base.clone();
    for (int i = 0; i < p.length; i++) p[i] += (float) (eps * v[i]);
    net.parameters().values().copyFrom(p);
    return loss(net, x, y, arch);
  }

  private static SampledArchitecture shift(SampledArchitecture a, int type, int edge, double eps) {
    CellChoice c = a.forCell(type == 1);
    float[] w = c.weights();
    w[edge] += (float) eps;
    CellChoice shifted = new CellChoice(c.ops(), w);
    return type == 0 ? new SampledArchitecture(shifted, a.reduce()) : new SampledArchitecture(a.normal(), shifted);
  }
}
