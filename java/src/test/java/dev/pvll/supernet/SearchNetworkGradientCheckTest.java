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
 * <p>The kernels are float32 and batch norm on small maps makes the loss rough at finite-difference
 * scales: measured on this configuration, central differences converge to backward's values as
 * the step shrinks from 1e-3 to 3e-5, with a few tensors still 10-20% off at 3e-5 (float32 rounding
 * of the loss then dominates). So each parameter tensor is checked along its own random direction
 * at step 3e-5, and the test allows at most 10% of tensors to miss 10% relative error; a wrong
 * backward for any layer type (it appears in many tensors) fails it. The libtorch golden test
 * (SearchNetworkTest) checks every gradient to 1e-3 on top of this.
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
      new SupernetTrainer(net, SgdConfig.DARTS).edgeGradients(x, y, arch, null);
      float[] g = net.parameters().grads().toArray();
      float[] base = net.parameters().values().toArray();
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
        double numeric = (loss(net, base, v, eps, x, y, arch) - loss(net, base, v, -eps, x, y, arch)) / (2 * eps);
        checked++;
        if (Math.abs(numeric - analytic) > 0.1 * Math.abs(analytic) + 2e-3) {
          misses.add(String.format("%s: backward %.5f, finite difference %.5f", p.name(), analytic, numeric));
        }
      }
      net.parameters().values().copyFrom(base);
      assertTrue(checked > 50, "too few tensors checked: " + checked);
      assertTrue(misses.size() <= checked / 10, misses.size() + " of " + checked + " tensors miss (seed " + seed + "): " + misses);
    }
  }

  @Test
  void edgeWeightGradientsMatchFiniteDifferences() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork net = new SearchNetwork(SMALL, Device.cpu(), seed); Scope s = Scope.open()) {
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SMALL.edges(), true);
      Tensor x = Tensor.of(Device.cpu(), Seeds.normal(r, BATCH * 3 * 256), BATCH, 3, 16, 16);
      Tensor y = Tensor.of(Device.cpu(), LABELS, BATCH);
      SupernetTrainer trainer = new SupernetTrainer(net, SgdConfig.DARTS);
      int edges = SMALL.edges();
      double[][] g = new double[2][edges];
      trainer.edgeGradients(x, y, arch, g);
      List<String> misses = new ArrayList<>();
      int checked = 0;
      for (int t = 0; t < 2; t++) {
        for (int e = 0; e < edges; e++) {
          if (arch.forCell(t == 1).ops()[e] == 0) {
            assertEquals(0, g[t][e], "none has no gradient");
            continue;
          }
          // The loss is kinked in the edge weights (ReLU, max-pool, batch statistics of 8 images):
          // measured on a failing seed, central differences move toward backward's value as eps
          // shrinks from 1e-2 (13 of 24 edges off) through 1e-3 (4) and 3e-4 (3) to 1e-4 (0),
          // below which float32 rounding of the loss takes over. At 1e-4 one seed in 15 still has
          // 3 of 24 edges off by 10-25%, hence the allowance of one edge in eight below.
          double eps = 1e-4;
          double numeric = (loss(trainer, x, y, shift(arch, t, e, eps)) - loss(trainer, x, y, shift(arch, t, e, -eps))) / (2 * eps);
          checked++;
          if (Math.abs(numeric - g[t][e]) > 0.1 * Math.abs(numeric) + 2e-3) {
            misses.add(String.format("edge %d of cell type %d: backward %.5f, finite difference %.5f", e, t, g[t][e], numeric));
          }
        }
      }
      assertTrue(checked > 20, "too few edges checked: " + checked);
      assertTrue(misses.size() <= checked / 8, misses.size() + " of " + checked + " edges miss (seed " + seed + "): " + misses);
    }
  }

  private static double loss(SupernetTrainer trainer, Tensor x, Tensor y, SampledArchitecture arch) {
    try (Scope s = Scope.open()) {
      return LossOps.softmaxCrossEntropy(trainer.network().forward(x, arch, Mode.TRAIN), y, null).loss();
    }
  }

  private static double loss(SearchNetwork net, float[] base, float[] v, double eps, Tensor x, Tensor y, SampledArchitecture arch) {
    float[] p = base.clone();
    for (int i = 0; i < p.length; i++) p[i] += (float) (eps * v[i]);
    net.parameters().values().copyFrom(p);
    try (Scope s = Scope.open()) {
      return LossOps.softmaxCrossEntropy(net.forward(x, arch, Mode.TRAIN), y, null).loss();
    }
  }

  private static SampledArchitecture shift(SampledArchitecture a, int type, int edge, double eps) {
    CellChoice c = a.forCell(type == 1);
    float[] w = c.weights();
    w[edge] += (float) eps;
    CellChoice shifted = new CellChoice(c.ops(), w);
    return type == 0 ? new SampledArchitecture(shifted, a.reduce()) : new SampledArchitecture(a.normal(), shifted);
  }
}
