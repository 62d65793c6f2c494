package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.LossResult;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.nn.Parameter;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.testing.Seeds;
import dev.pvll.testing.Tolerance;
import dev.pvll.testing.Torch;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The supernet against the same network written in libtorch, and its optimiser policy. */
class SearchNetworkTest {
  /** 5 cells (reductions at 1 and 3), C=4, 3x8x8 images, batch 3. */
  static final NetworkConfig TINY = new NetworkConfig(5, 4, 4, 3, 10, 8, 3);

  static SampledArchitecture randomArchitecture(Random r, int edges, boolean everyOp) {
    int[][] ops = new int[2][edges];
    float[][] w = new float[2][edges];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < edges; e++) {
        ops[t][e] = everyOp ? (e + t * 3) % Primitive.values().length : r.nextInt(Primitive.values().length);
        w[t][e] = 0.5f + 0.5f * r.nextFloat();
      }
    }
    return new SampledArchitecture(new CellChoice(ops[0], w[0]), new CellChoice(ops[1], w[1]));
  }

  /**
   * One seed in about 40 puts an input at a kink of the network (a ReLU input or a max-pool
   * tie a few ulps from switching), where libtorch's float rounding and ours take different
   * sides and the gradients of everything upstream differ by several percent (measured: seed
   * -7046054265698125763, the stem's weight gradient off by 1.02 at scale 26, on session 2's code
   * too; nudging the images by 1e-6 made it agree to 1e-3). So a failing comparison is repeated
   * once with the images nudged by at most 6e-6; a wrong backward fails both.
   */
  @Test
  void logitsLossAndEveryGradientMatchLibtorch() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    int batch = 3;
    for (boolean everyOp : new boolean[] {true, false}) {
      SampledArchitecture arch = randomArchitecture(r, TINY.edges(), everyOp);
      float[] images = Seeds.normal(r, batch * 3 * 8 * 8);
      try {
        compareWithLibtorch(seed, arch, images);
      } catch (AssertionError atKink) {
        float[] nudged = images.clone();
        for (int i = 0; i < nudged.length; i++) nudged[i] += 1e-6f * ((i * 7919) % 13 - 6);
        try {
          compareWithLibtorch(seed, arch, nudged);
        } catch (AssertionError again) {
          again.addSuppressed(atKink);
          throw again;
        }
        System.out.println("SearchNetworkTest: agreed after nudging the images by 6e-6 (a kink at the drawn ones): " + atKink.getMessage());
      }
    }
  }

  private static void compareWithLibtorch(long seed, SampledArchitecture arch, float[] images) {
    int batch = 3;
    {
      try (SearchNetwork net = new SearchNetwork(TINY, Device.cpu(), seed); Scope s = Scope.open()) {
        float[] labels = {1, 7, 3};
        TorchSearchNetwork ref = new TorchSearchNetwork(net);
        org.bytedeco.pytorch.Tensor tLogits = ref.forward(Torch.tensor(images, batch, 3, 8, 8), arch);
        org.bytedeco.pytorch.Tensor tLoss = torch.cross_entropy(tLogits, Torch.tensor(labels, batch).to(torch.ScalarType.Long));
        Torch.backward(tLoss, torch.ones_like(tLoss));

        net.parameters().zeroGrads();
        DeviceArchitecture onDevice = new DeviceArchitecture(Device.cpu(), TINY.edges());
        onDevice.set(arch);
        Tensor logits = net.forward(Tensor.of(Device.cpu(), images, batch, 3, 8, 8), onDevice, onDevice.hostBranching(), null, Mode.TRAIN);
        Tensor dLogits = Tensor.emptyLike(logits);
        LossResult loss = LossOps.softmaxCrossEntropy(logits, Tensor.of(Device.cpu(), labels, batch), dLogits);
        double[][] edgeGrads = new double[2][TINY.edges()];
        net.backward(dLogits, edgeGrads);
        onDevice.close();

        // Logits come out of five cells of float32 batch norm on 3 images, summed in other orders
        // than libtorch's: an absolute floor of 1e-4 of the largest logit (a fixed 1e-5 was
        // exceeded by 1.3e-5 and 1.9e-5 on one seed, AVX2 and AVX-512 kernels alike).
        float[] expectedLogits = Torch.array(tLogits);
        double logitScale = 0;
        for (float v : expectedLogits) logitScale = Math.max(logitScale, Math.abs(v));
        new Tolerance(1e-6 + 1e-4 * logitScale, 1e-4).assertClose("logits", expectedLogits, logits.toArray(), seed);
        assertEquals(Torch.array(tLoss)[0], loss.loss(), 1e-5, "loss, seed " + seed);
        // Gradients pass through up to 5 cells of batch norm in float32, summing over the batch in
        // different orders: relative 1e-3, with an absolute floor of 1e-3 of the tensor's largest
        // gradient (entries near zero are differences of large terms).
        for (Parameter p : net.parameters().parameters()) {
          org.bytedeco.pytorch.Tensor g = ref.params.get(p.name()).grad();
          float[] expected = g.defined() ? Torch.array(g) : new float[(int) p.size()];
          double scale = 0;
          for (float v : expected) scale = Math.max(scale, Math.abs(v));
          new Tolerance(1e-7 + 1e-3 * scale, 1e-3).assertClose("grad " + p.name(), expected, p.grad().toArray(), seed);
        }
        // dL/d(edge weight), summed over the cells of each type (the straight-through signal
        // into A): the same tolerance, per cell type.
        for (int t = 0; t < 2; t++) {
          float[] expected = Torch.array(ref.edgeWeights[t].grad());
          float[] actual = new float[expected.length];
          double scale = 0;
          for (int e = 0; e < actual.length; e++) {
            actual[e] = (float) edgeGrads[t][e];
            scale = Math.max(scale, Math.abs(expected[e]));
          }
          new Tolerance(1e-7 + 1e-3 * scale, 1e-3).assertClose("edge weight grads of cell type " + t, expected, actual, seed);
        }
      }
    }
  }

  @Test
  void sgdSkipsOpsThatTheStepDidNotRun() {
    long seed = Seeds.next();
    Random r = new Random(seed);
    try (SearchNetwork net = new SearchNetwork(TINY, Device.cpu(), seed); Scope s = Scope.open();
        SupernetStep trainer = new SupernetStep(net, SgdConfig.DARTS, 2, StepLaunch.AUTO, 1)) {
      int[] ops = new int[TINY.edges()];
      java.util.Arrays.fill(ops, Primitive.SEP_CONV_3X3.ordinal());
      float[] ones = new float[ops.length];
      java.util.Arrays.fill(ones, 1f);
      SampledArchitecture arch = new SampledArchitecture(new CellChoice(ops, ones), new CellChoice(ops, ones));
      float[] before = net.parameters().values().toArray();
      trainer.setArchitecture(arch);
      trainer.beginTraining(0.1f);
      trainer.trainStep(Tensor.of(Device.cpu(), Seeds.normal(r, 2 * 3 * 64), 2, 3, 8, 8), Tensor.of(Device.cpu(), new float[] {0, 1}, 2));
      trainer.finishTraining();
      float[] after = net.parameters().values().toArray();
      for (Parameter p : net.parameters().parameters()) {
        float[] b = java.util.Arrays.copyOfRange(before, (int) p.offset(), (int) (p.offset() + p.size()));
        float[] a = java.util.Arrays.copyOfRange(after, (int) p.offset(), (int) (p.offset() + p.size()));
        if (p.name().contains(".edge") && !p.name().contains("sep_conv_3x3")) {
          assertArrayEquals(b, a, "unchosen op changed: " + p.name());
        } else if (p.name().endsWith("weight") && !p.name().contains("bn")) {
          assertNotEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a), "chosen parameter unchanged: " + p.name());
        }
      }
    }
  }
}
