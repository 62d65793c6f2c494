package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.kernels.CudaGraph;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.List;
import java.util.Random;

/**
 * The whole search step on a GPU (skipped without one): graph replay against plain launches (bit
 * for bit, over several architectures through one graph), and against the CPU path.
 */
class SupernetStepCudaTest {
  static final int BATCH = SupernetStepTest.BATCH;

  static Device gpu() {
    Device gpu = Device.cuda(0);
    TestDevices.assumePresent(gpu);
    return gpu;
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> launches() {
    return java.util.stream.Stream.of(false, true).flatMap(lanes -> java.util.stream.Stream.of(CudaGraph.SwitchSetting.values())
        .map(s -> org.junit.jupiter.params.provider.Arguments.of(lanes, s)));
  }

  /**
   * Lanes: the graph's edges as parallel branches, against the same structure launched in order;
   * switches set one by one or all at the graph's root.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "on lanes: {0}, switches set {1}")
  @org.junit.jupiter.params.provider.MethodSource("launches")
  void graphReplayEqualsPlainLaunchesBitForBit(boolean onLanes, CudaGraph.SwitchSetting switches) {
    Device gpu = gpu();
    assertTrue(CudaGraph.supported(gpu), "the device tests expect CUDA 12.8+");
    long seed = Seeds.next();
    try (SearchNetwork a = new SearchNetwork(SearchNetworkTest.TINY, gpu, seed);
        SearchNetwork b = new SearchNetwork(SearchNetworkTest.TINY, gpu, seed);
        SupernetStep plain = new SupernetStep(a, SgdConfig.DARTS, BATCH, SupernetStepTest.launch(StepLaunch.Kind.RESIDENT, onLanes), 64);
        SupernetStep graphed = new SupernetStep(b, SgdConfig.DARTS, BATCH, new StepLaunch(StepLaunch.Kind.GRAPH, onLanes, switches), 64)) {
      assertFalse(plain.usesGraphs());
      assertTrue(graphed.usesGraphs());
      Random ra = new Random(seed), rb = new Random(seed);
      // the same batches and architectures for both: four architectures through one graph
      for (SupernetStep t : List.of(plain, graphed)) {
        Random r = t == plain ? ra : rb;
        t.beginTraining(0.05f);
        for (int arch = 0; arch < 4; arch++) {
          t.setArchitecture(SearchNetworkTest.randomArchitecture(r, SearchNetworkTest.TINY.edges(), arch == 0));
          for (int step = 0; step < 3; step++) {
            try (Scope s = Scope.open()) {
              Tensor x = Tensor.of(gpu, Seeds.normal(r, BATCH * 3 * 8 * 8), BATCH, 3, 8, 8);
              Tensor y = Tensor.of(gpu, new float[] {r.nextInt(10), r.nextInt(10), r.nextInt(10)}, BATCH);
              t.trainStep(x, y);
            }
          }
        }
      }
      Tolerance.EXACT.assertClose("per-step loss and correct", plain.trainingLog(), graphed.trainingLog(), seed);
      assertEquals(12, graphed.finishTraining().steps());
      plain.finishTraining();
      SupernetStepTest.assertSameState(a, b, Tolerance.EXACT, seed);
      for (Mode mode : new Mode[] {Mode.EVAL, Mode.EVAL_BATCH_STATS}) {
        double[] means = new double[2];
        int i = 0;
        for (SupernetStep t : List.of(plain, graphed)) {
          Random r = new Random(seed + 1);
          t.beginValidation();
          for (int k = 0; k < 3; k++) {
            try (Scope s = Scope.open()) {
              t.evaluate(Tensor.of(gpu, Seeds.normal(r, BATCH * 3 * 8 * 8), BATCH, 3, 8, 8), Tensor.zeros(gpu, BATCH), mode);
            }
          }
          means[i++] = t.finishValidation().meanLoss();
        }
        assertEquals(means[0], means[1], 0, "validation " + mode + ", seed " + seed);
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "on lanes: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void theGpuStepMatchesTheCpuStep(boolean onLanes) {
    Device gpu = gpu();
    long seed = Seeds.next();
    Random r = new Random(seed);
    SampledArchitecture arch = SearchNetworkTest.randomArchitecture(r, SearchNetworkTest.TINY.edges(), true);
    float[] images = Seeds.normal(r, BATCH * 3 * 8 * 8);
    // as in SearchNetworkTest: an input at a kink (a ReLU input or a max-pool tie within rounding)
    // sends the two float orders of summation different ways; a wrong step fails the nudged
    // images too
    try {
      compareWithCpu(gpu, seed, arch, images, onLanes);
    } catch (AssertionError atKink) {
      float[] nudged = images.clone();
      for (int i = 0; i < nudged.length; i++) nudged[i] += 1e-6f * ((i * 7919) % 13 - 6);
      try {
        compareWithCpu(gpu, seed, arch, nudged, onLanes);
      } catch (AssertionError again) {
        again.addSuppressed(atKink);
        throw again;
      }
      System.out.println("SupernetStepCudaTest: agreed after nudging the images by 6e-6: " + atKink.getMessage());
    }
  }

  private static void compareWithCpu(Device gpu, long seed, SampledArchitecture arch, float[] images, boolean onLanes) {
    try (SearchNetwork cpu = new SearchNetwork(SearchNetworkTest.TINY, Device.cpu(), seed);
        SearchNetwork dev = new SearchNetwork(SearchNetworkTest.TINY, gpu, seed);
        SupernetStep resident = new SupernetStep(dev, SgdConfig.DARTS, BATCH, SupernetStepTest.launch(StepLaunch.Kind.GRAPH, onLanes), 8);
        SupernetStep plain = new SupernetStep(cpu, SgdConfig.DARTS, BATCH, StepLaunch.of(StepLaunch.Kind.PLAIN), 8);
        Scope s = Scope.open()) {
      float[] labels = {1, 7, 3};
      plain.setArchitecture(arch);
      plain.beginTraining(0.05f);
      plain.trainStep(Tensor.of(Device.cpu(), images, BATCH, 3, 8, 8), Tensor.of(Device.cpu(), labels, BATCH));
      StepResult expected = plain.lastTrainingStep();
      resident.setArchitecture(arch);
      resident.beginTraining(0.05f);
      resident.trainStep(Tensor.of(gpu, images, BATCH, 3, 8, 8), Tensor.of(gpu, labels, BATCH));
      float[] log = resident.trainingLog();
      assertEquals(expected.loss(), log[0], 1e-5 * Math.max(1, expected.loss()), "loss, seed " + seed);
      assertEquals(expected.correct(), (int) log[1]);
      // the clipped gradients the step applied, the updated weights, momentum and BN statistics
      Tolerance t = new Tolerance(2e-5, 2e-3);
      t.assertClose("gradients", cpu.parameters().grads().toArray(), dev.parameters().grads().toArray(), seed);
      SupernetStepTest.assertSameState(cpu, dev, t, seed);
    }
  }
}
