package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.run.RunJson;
import dev.pvll.testing.Seeds;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The architect: sampling, the FD-checked architecture gradient, Adam steps, entropy, state. */
class ArchitectTest {
  private static final ArchEncoding ENC = ArchEncoding.DARTS;

  @ParameterizedTest
  @CsvSource({"1.0, 1.0", "0.1, 0.05", "0.1, 1.0"})
  void architectureGradientMatchesFiniteDifferences(double tau, double noiseScale) {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    Predictor psi = new LstmPredictor(ENC, r.nextLong());
    double[] p = psi.parameters();
    for (int i = 0; i < p.length; i++) p[i] *= 3;
    double[] a = new double[ENC.size()], g = new double[ENC.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = 0.1 * r.nextGaussian();
      g[i] = noiseScale * GumbelDraw.of(r);
    }
    double[] analytic = new double[a.length];
    double pred = Architect.objectiveGradient(psi, a, g, tau, analytic);
    assertEquals(pred * pred, Architect.objective(psi, a, g, tau), 1e-15);
    double h = 1e-6;
    double[] fd = FiniteDifferences.gradient(x -> Architect.objective(psi, x, g, tau), a, h);
    // a central difference resolves no less than the objective's rounding over 2h: a few ulps of an objective near 2.5
    // (an LSTM's worth of operations) over 2e-6 is about 1e-9, the size of some entries' error (seen once: 1.24e-8 by
    // differences against 1.35e-8 analytic, 1.05e-9 apart), so the absolute tolerance is 8 ulps over 2h, at least 1e-9
    double resolution = Math.max(1e-9, 8 * Math.ulp(pred * pred) / (2 * h));
    FiniteDifferences.assertClose("d psi(softmax((A+g)/" + tau + "))^2 / dA, g scale " + noiseScale, fd, analytic, resolution, 1e-5, seed);
    if (noiseScale < 1 || tau == 1.0) {
      double max = Arrays.stream(analytic).map(Math::abs).max().orElse(0);
      assertTrue(max > 1e-4, "gradient should not vanish here, max " + max);
    }
  }

  @Test
  void stepIsOneAdamUpdateWithL2WeightDecay() {
    long seed = Seeds.next();
    Architect architect = new Architect(ENC, Architect.Options.defaults(), seed);
    Predictor psi = new LstmPredictor(ENC, seed + 1);
    Architecture s = architect.sample();
    double[] a0 = architect.alpha();
    double[] grad = new double[a0.length];
    double pred = Architect.objectiveGradient(psi, a0, s.gumbel(), 0.1, grad);
    Architect.StepResult result = architect.step(psi, s);
    assertEquals(pred, result.prediction(), 0.0);
    assertEquals(pred * pred, result.objective(), 0.0);
    // First Adam step: m^ = g', v^ = g'^2 with g' = grad + wd * a, so a moves by lr * g' / (|g'| + eps).
    double[] a1 = architect.alpha();
    for (int i = 0; i < a0.length; i++) {
      double gd = grad[i] + 1e-3 * a0[i];
      assertEquals(a0[i] - 3e-4 * gd / (Math.abs(gd) + 1e-8), a1[i], 1e-15, "entry " + i + ", seed " + seed);
    }
  }

  @Test
  void samplesAreReproducibleFromSeedAndCounter() {
    long seed = Seeds.next();
    Architect a = new Architect(ENC, Architect.Options.defaults(), seed);
    Architect b = new Architect(ENC, Architect.Options.defaults(), seed);
    assertArrayEquals(a.alpha(), b.alpha());
    Architecture first = a.sample(), second = a.sample();
    assertEquals(0, first.counter());
    assertEquals(1, second.counter());
    assertEquals(2, a.nextCounter());
    assertArrayEquals(first.gumbel(), b.sample().gumbel());
    assertArrayEquals(second.weights(), b.sampleAt(1).weights());
    assertArrayEquals(second.ops(), a.sampleAt(1).ops());
    assertFalse(Arrays.equals(first.gumbel(), second.gumbel()));
    assertFalse(Arrays.equals(a.alpha(), new Architect(ENC, Architect.Options.defaults(), seed + 1).alpha()));
    for (int row = 0; row < ENC.rows(); row++) {
      double max = 0;
      for (int k = 0; k < ENC.ops(); k++) max = Math.max(max, first.weight(row, k));
      assertEquals(max, first.edgeWeights()[row], 0.0);
      assertEquals(max, first.weight(row, first.ops()[row]), 0.0);
    }
    assertArrayEquals(Arrays.copyOfRange(first.ops(), 14, 28), first.cellOps(1));
  }

  @Test
  void kernelAndJavaSamplersDrawTheSameArchitectures() {
    long seed = Seeds.next();
    Architect java = new Architect(ENC, Architect.Options.defaults().withTau(0.7), seed);
    Architect kernel = new Architect(ENC, Architect.Options.defaults().withTau(0.7).withKernelSampling(true), seed);
    double[] spread = java.alpha();
    for (int i = 0; i < spread.length; i++) spread[i] *= 1000; // A ~ N(0, 1): non-trivial logits
    java.restore(new Architect.State(spread, java.state().adam(), java.state().streamSeed(), 5));
    kernel.restore(java.state());
    for (int i = 0; i < 20; i++) {
      Architecture x = java.sample(), y = kernel.sample();
      assertEquals(x.counter(), y.counter());
      assertArrayEquals(x.ops(), y.ops(), "seed " + seed);
      for (int e = 0; e < x.gumbel().length; e++) {
        assertEquals(x.gumbel()[e], y.gumbel()[e], Math.ulp((float) x.gumbel()[e]), "g, seed " + seed);
        assertEquals(x.weights()[e], y.weights()[e], 2e-6, "H, seed " + seed);
      }
    }
  }

  @Test
  void uniformSamplerIgnoresA() {
    long seed = Seeds.next();
    Architect u = new Architect(ENC, Architect.Options.defaults().withSampler(Architect.Sampler.UNIFORM), seed);
    double[] big = new double[ENC.size()];
    big[3] = 50; // would force op 3 on edge 0 under the A-centred sampler
    u.restore(new Architect.State(big, u.state().adam(), u.state().streamSeed(), 0));
    Architecture s = u.sample();
    assertArrayEquals(Architect.softH(ENC, new double[ENC.size()], s.gumbel(), 0.1), s.weights(), 1e-15);
    assertEquals(Math.log(8), u.meanSamplingEntropy(), 1e-15);
  }

  @Test
  void samplingEntropyIsTheEntropyOfSoftmaxAAndMatchesTheEmpiricalOne() {
    long seed = Seeds.next();
    Architect arch = new Architect(ENC, Architect.Options.defaults(), seed);
    assertEquals(Math.log(8), arch.meanSamplingEntropy(), 1e-5, "A ~ 1e-3 N(0,1) samples uniformly");
    SplitMix64 r = new SplitMix64(seed);
    double[] a = new double[ENC.size()];
    for (int i = 0; i < a.length; i++) a[i] = 1.5 * r.nextGaussian();
    arch.restore(new Architect.State(a, arch.state().adam(), arch.state().streamSeed(), 0));
    int draws = 20_000;
    int[][] counts = new int[ENC.rows()][ENC.ops()];
    for (int i = 0; i < draws; i++) {
      int[] ops = arch.sample().ops();
      for (int e = 0; e < ops.length; e++) counts[e][ops[e]]++;
    }
    double[] expected = arch.samplingEntropies();
    double worst = 0;
    for (int e = 0; e < ENC.rows(); e++) {
      double h = 0;
      for (int c : counts[e]) if (c > 0) h -= (double) c / draws * Math.log((double) c / draws);
      worst = Math.max(worst, Math.abs(h - expected[e]));
    }
    System.out.printf("sampling entropy: mean %.4f nats, worst per-edge |empirical - softmax(A)| %.4f over %d draws%n",
        arch.meanSamplingEntropy(), worst, draws);
    assertTrue(worst < 0.03, "empirical vs softmax(A) entropy differ by " + worst + ", seed " + seed);
  }

  @Test
  void restoredStateContinuesIdentically() {
    long seed = Seeds.next();
    Predictor psi = new LstmPredictor(ENC, seed);
    Architect a = new Architect(ENC, Architect.Options.defaults().withLearningRate(1e-2), seed);
    for (int i = 0; i < 3; i++) a.step(psi, a.sample());
    String json = RunJson.COMPACT.toJson(a.state());
    Architect b = new Architect(ENC, Architect.Options.defaults().withLearningRate(1e-2), seed + 99);
    b.restore(RunJson.COMPACT.fromJson(json, Architect.State.class));
    for (int i = 0; i < 3; i++) {
      Architecture x = a.sample(), y = b.sample();
      assertArrayEquals(x.weights(), y.weights());
      a.step(psi, x);
      b.step(psi, y);
    }
    assertArrayEquals(a.alpha(), b.alpha());
    assertEquals(a.nextCounter(), b.nextCounter());
  }

  /** A Gumbel variate from a SplitMix64, for test noise. */
  static final class GumbelDraw {
    static double of(SplitMix64 r) {
      return -Math.log(-Math.log(r.nextDouble() * (1 - 0x1p-40) + 0x1p-41));
    }
  }
}
