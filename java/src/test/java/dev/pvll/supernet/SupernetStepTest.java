package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The step's resident launches on the CPU against its plain launches (each step read back as it
 * ends): the same numbers, bit for bit, in the per-step log, its totals and the weights; a
 * non-finite step updates nothing; a full log is refused; a bad label names its row.
 */
class SupernetStepTest {
  static final int BATCH = 3;

  /** Trains both through the same batches and architectures; returns the plain launches' per-step results. */
  static List<StepResult> trainBoth(SupernetStep plain, SupernetStep resident, Random r, float lr, int[] batchSizes,
      int architectures) {
    List<StepResult> expected = new ArrayList<>();
    Device d = plain.network().parameters().values().device();
    var config = plain.network().config();
    plain.beginTraining(lr);
    resident.beginTraining(lr);
    for (int a = 0; a < architectures; a++) {
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, config.edges(), a == 0);
      plain.setArchitecture(arch);
      resident.setArchitecture(arch);
      for (int n : batchSizes) {
        try (Scope s = Scope.open()) {
          Tensor x = Tensor.of(d, Seeds.normal(r, n * 3 * 8 * 8), n, 3, 8, 8);
          float[] labels = new float[n];
          for (int i = 0; i < n; i++) labels[i] = r.nextInt(config.classes());
          Tensor y = Tensor.of(d, labels, n);
          plain.trainStep(x, y);
          expected.add(plain.lastTrainingStep());
          resident.trainStep(x, y);
        }
      }
    }
    return expected;
  }

  static StepLaunch launch(StepLaunch.Kind kind, boolean onLanes) {
    return StepLaunch.of(kind).withLanes(onLanes);
  }

  static void assertSameState(SearchNetwork a, SearchNetwork b, Tolerance t, long seed) {
    t.assertClose("parameters", a.parameters().values().toArray(), b.parameters().values().toArray(), seed);
    t.assertClose("momentum", a.parameters().momentum().toArray(), b.parameters().momentum().toArray(), seed);
    t.assertClose("BN running statistics", a.buffers().values().toArray(), b.buffers().values().toArray(), seed);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "on lanes: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void residentTrainingStepsMatchPlainLaunchesBitForBit(boolean onLanes) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork a = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SupernetStep plain = new SupernetStep(a, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.PLAIN), 32);
        SupernetStep resident = new SupernetStep(b, SgdConfig.DARTS, BATCH, launch(StepLaunch.Kind.GRAPH, onLanes), 32)) {
      assertFalse(resident.usesGraphs(), "no graphs on the CPU");
      // a batch of another size than the trainer's runs outside the staged inputs
      List<StepResult> expected = trainBoth(plain, resident, r, 0.05f, new int[] {BATCH, 2, BATCH}, 3);
      float[] log = resident.trainingLog();
      SupernetStep.Totals totals = resident.finishTraining();
      double lossSum = 0;
      long correct = 0, images = 0;
      for (int i = 0; i < expected.size(); i++) {
        assertEquals((float) expected.get(i).loss(), log[2 * i], "loss of step " + i + ", seed " + seed);
        assertEquals(expected.get(i).correct(), (int) log[2 * i + 1], "correct of step " + i);
        lossSum += log[2 * i] * (double) expected.get(i).count();
        correct += expected.get(i).correct();
        images += expected.get(i).count();
      }
      assertEquals(expected.size(), totals.steps());
      assertEquals(images, totals.images());
      assertEquals(correct, totals.correct());
      assertEquals(lossSum / images, totals.meanLoss(), 1e-12);
      assertEquals(0, totals.nonFiniteSteps());
      assertSameState(a, b, Tolerance.EXACT, seed);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "on lanes: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void residentValidationMatchesPlainLaunchesBitForBit(boolean onLanes) {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork a = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SupernetStep plain = new SupernetStep(a, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.PLAIN), 8);
        SupernetStep resident = new SupernetStep(b, SgdConfig.DARTS, BATCH, launch(StepLaunch.Kind.RESIDENT, onLanes), 8)) {
      trainBoth(plain, resident, r, 0.05f, new int[] {BATCH}, 1);
      plain.finishTraining();
      resident.finishTraining();
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SearchNetworkTest.TINY.edges(), false);
      plain.setArchitecture(arch);
      resident.setArchitecture(arch);
      for (Mode mode : new Mode[] {Mode.EVAL, Mode.EVAL_BATCH_STATS}) {
        plain.beginValidation();
        resident.beginValidation();
        double lossSum = 0;
        long correct = 0;
        try (Scope s = Scope.open()) {
          for (int n : new int[] {BATCH, 1}) {
            Tensor x = Tensor.of(Device.cpu(), Seeds.normal(r, n * 3 * 8 * 8), n, 3, 8, 8);
            Tensor y = Tensor.zeros(Device.cpu(), n);
            plain.evaluate(x, y, mode);
            StepResult e = plain.lastValidationBatch();
            lossSum += (float) e.loss() * (double) n;
            correct += e.correct();
            resident.evaluate(x, y, mode);
          }
        }
        SupernetStep.Totals t = resident.finishValidation();
        assertEquals(lossSum / (BATCH + 1), t.meanLoss(), 0, mode + ", seed " + seed);
        assertEquals(correct, t.correct());
      }
      assertSameState(a, b, Tolerance.EXACT, seed);
    }
  }

  @Test
  void aStepWithANonFiniteLossUpdatesNothing() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork a = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SupernetStep plain = new SupernetStep(a, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.PLAIN), 4);
        SupernetStep resident = new SupernetStep(b, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.GRAPH), 4);
        Scope s = Scope.open()) {
      trainBoth(plain, resident, r, 0.05f, new int[] {BATCH}, 1);
      // an infinite classifier bias (the last parameters) makes the loss non-finite; ReLUs would
      // swallow a NaN image
      for (SearchNetwork n : List.of(a, b)) {
        try (Tensor bias = n.parameters().values().view(n.parameters().size() - 1, 1)) {
          bias.fill(Float.POSITIVE_INFINITY);
        }
      }
      float[] before = b.parameters().values().toArray();
      Tensor x = Tensor.of(Device.cpu(), Seeds.normal(r, BATCH * 3 * 8 * 8), BATCH, 3, 8, 8), y = Tensor.zeros(Device.cpu(), BATCH);
      SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SearchNetworkTest.TINY.edges(), false);
      plain.setArchitecture(arch);
      resident.setArchitecture(arch);
      plain.trainStep(x, y);
      assertFalse(Double.isFinite(plain.lastTrainingStep().loss()));
      resident.trainStep(x, y);
      SupernetStep.Totals t = resident.finishTraining();
      assertEquals(1, t.nonFiniteSteps());
      assertEquals(2, t.steps());
      // bitwise, infinities included
      assertArrayEquals(before, b.parameters().values().toArray(), "parameters after a non-finite step");
      assertArrayEquals(a.parameters().values().toArray(), b.parameters().values().toArray());
      assertArrayEquals(a.parameters().momentum().toArray(), b.parameters().momentum().toArray());
      assertArrayEquals(a.buffers().values().toArray(), b.buffers().values().toArray());
    }
  }

  @Test
  void aFullLogIsRefusedNotOverwritten() {
    long seed = Seeds.next();
    try (SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SupernetStep resident = new SupernetStep(b, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.GRAPH), 1);
        Scope s = Scope.open()) {
      resident.setArchitecture(SearchNetworkTest.randomArchitecture(new Random(seed), SearchNetworkTest.TINY.edges(), false));
      resident.beginTraining(0.01f);
      Tensor x = Tensor.zeros(Device.cpu(), BATCH, 3, 8, 8), y = Tensor.zeros(Device.cpu(), BATCH);
      resident.trainStep(x, y);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> resident.trainStep(x, y));
      assertTrue(e.getMessage().contains("finishTraining"), e.getMessage());
      assertEquals(1, resident.finishTraining().steps());
      resident.beginTraining(0.01f);
      resident.trainStep(x, y);
      assertEquals(1, resident.finishTraining().steps());
    }
  }

  @Test
  void aBadLabelNamesItsRow() {
    long seed = Seeds.next();
    try (SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SupernetStep resident = new SupernetStep(b, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.GRAPH), 4);
        Scope s = Scope.open()) {
      resident.setArchitecture(SearchNetworkTest.randomArchitecture(new Random(seed), SearchNetworkTest.TINY.edges(), false));
      resident.beginTraining(0.01f);
      Tensor x = Tensor.zeros(Device.cpu(), BATCH, 3, 8, 8), y = Tensor.of(Device.cpu(), new float[] {1, 12, 3}, BATCH);
      RuntimeException e = assertThrows(RuntimeException.class, () -> {
        resident.trainStep(x, y);
        resident.finishTraining();
      });
      assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }
  }
}
