package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.run.RunJson;
import dev.pvll.testing.Seeds;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Fitting psi on the memory: the loss gradient, refits on a synthetic landscape, state. */
class PredictorTrainerTest {
  private static final ArchEncoding ENC = ArchEncoding.DARTS;

  /** What each op adds to the synthetic loss, per edge (none worst, sep_conv_3x3 best). */
  private static final double[] OP_VALUE = {0.08, 0.01, -0.02, 0.03, -0.05, -0.04, 0.02, 0.0};

  /**
   * A synthetic landscape: 1.0 plus, on every edge, the op values weighted by H. On near one-hot
   * encodings (tau = 0.1) it depends on how often each op is chosen, with few ties. Labels are
   * 1.105 +- 0.206 over uniform samples: positive, as the weighted loss needs, by 5 standard
   * deviations (with 0.6 instead, one label in about 3,000 came out negative and failed a CI run).
   */
  static double landscape(double[] h) {
    double loss = 1.0;
    for (int r = 0; r < ENC.rows(); r++) {
      for (int k = 0; k < ENC.ops(); k++) loss += OP_VALUE[k] * h[ENC.index(r, k)];
    }
    return loss;
  }

  /** n architectures drawn at tau (A = 0) with their synthetic labels. */
  static Memory syntheticMemory(int n, double tau, long seed) {
    Architect sampler = new Architect(ENC, Architect.Options.defaults().withTau(tau).withSampler(Architect.Sampler.UNIFORM), seed);
    Memory m = new Memory(n);
    for (int i = 0; i < n; i++) {
      double[] h = sampler.sample().weights();
      m.add(h, landscape(h));
    }
    return m;
  }

  @ParameterizedTest
  @EnumSource(PredictorTrainer.Loss.class)
  void lossGradientMatchesFiniteDifferences(PredictorTrainer.Loss loss) {
    long seed = Seeds.next();
    Memory m = syntheticMemory(7, 1.0, seed);
    PredictorTrainer t = new PredictorTrainer(new LstmPredictor(ENC, seed), PredictorTrainer.Options.defaults().withLoss(loss), seed);
    List<Memory.Entry> batch = m.entries();
    double[] analytic = new double[t.predictor().parameterCount()];
    double value = t.lossAndGradient(batch, analytic);
    assertEquals(t.loss(m), value, 1e-15);
    double[] fd = FiniteDifferences.gradient(p -> t.loss(m), t.predictor().parameters(), 1e-6);
    FiniteDifferences.assertClose(loss + " psi loss / d theta", fd, analytic, 1e-9, 1e-6, seed);
  }

  @ParameterizedTest
  @EnumSource(PredictorTrainer.Loss.class)
  void refitLearnsASyntheticLandscape(PredictorTrainer.Loss loss) {
    long seed = Seeds.next();
    Memory m = syntheticMemory(100, 0.1, seed);
    Memory heldOut = syntheticMemory(100, 0.1, seed + 1);
    // METHOD.md's options, but minibatches of 16 (7 Adam steps a pass) and at most 200 passes,
    // so that the test takes seconds: 500 passes of batch 64 take about 10 s on 2 busy cores.
    PredictorTrainer.Options o = PredictorTrainer.Options.defaults().withLoss(loss).withBatchSize(16).withMaxPasses(200);
    PredictorTrainer t = new PredictorTrainer(new LstmPredictor(ENC, seed), o, seed);
    double tauBefore = t.kendallTau(m);
    long start = System.nanoTime();
    PredictorTrainer.RefitResult r = t.refit(m);
    System.out.printf("%s refit: %d passes (%s) in %.2f s, loss %.5f -> %.5f, tau on M %.3f -> %.3f, held-out tau %.3f%n",
        loss, r.passes(), r.stoppedEarly() ? "stopped early" : "no early stop", (System.nanoTime() - start) * 1e-9,
        r.lossBefore(), r.lossAfter(), tauBefore, r.tau(), KendallTau.tau(t.predictions(heldOut), heldOut.labels()));
    assertTrue(r.lossAfter() < 0.5 * r.lossBefore(), "loss " + r.lossBefore() + " -> " + r.lossAfter() + ", seed " + seed);
    assertTrue(r.tau() > 0.9, "tau on M " + r.tau() + ", seed " + seed);
    assertEquals(r.tau(), t.kendallTau(m), 0.0);
  }

  @Test
  void restoredStateContinuesIdentically() {
    long seed = Seeds.next();
    Memory m = syntheticMemory(30, 1.0, seed);
    PredictorTrainer.Options o = PredictorTrainer.Options.defaults().withBatchSize(8);
    PredictorTrainer a = new PredictorTrainer(new LstmPredictor(ENC, seed), o, seed);
    a.refit(m, 3, 2);
    String json = RunJson.COMPACT.toJson(a.state());
    PredictorTrainer b = new PredictorTrainer(new LstmPredictor(ENC, seed + 5), o, seed + 7);
    b.restore(RunJson.COMPACT.fromJson(json, PredictorTrainer.State.class));
    a.refit(m, 3, 2);
    b.refit(m, 3, 2);
    assertArrayEquals(a.predictor().parameters(), b.predictor().parameters());
  }

  @Test
  void weightedLossRejectsNonPositiveLabels() {
    Memory m = new Memory(2);
    m.add(new double[ENC.size()], 0.0);
    PredictorTrainer t = new PredictorTrainer(new LstmPredictor(ENC, 1), PredictorTrainer.Options.defaults(), 1);
    assertThrows(IllegalArgumentException.class, () -> t.loss(m));
  }
}
