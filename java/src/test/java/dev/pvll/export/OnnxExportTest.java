package dev.pvll.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pvll.data.DataLocator;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.data.KnownDataset;
import dev.pvll.data.Normalization;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.nn.Parameter;
import dev.pvll.space.Genotype;
import dev.pvll.space.Genotypes;
import dev.pvll.space.NetworkConfig;
import dev.pvll.train.EvalNetwork;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported ONNX model, run by ONNX Runtime, against pvll's own evaluation forward on real
 * Fashion-MNIST images (the test split of Debian's package where it is installed, as in CI; else
 * the embedded images): logits within 1e-4 and the same predicted class for every image. The
 * weights, batch-norm affine parameters and running statistics are random (not the
 * initialisation's ones and zeros), so a wrong mapping of any of them shows.
 */
class OnnxExportTest {
  private static final NetworkConfig NETWORK = new NetworkConfig(5, 8, 4, 1, 10, 28, 3);
  private static final int IMAGES = 64;

  static Stream<Genotype> genotypes() {
    // PVLL_NAS has every op; the third puts skip_connect on a reduction cell's inputs (FactorizedReduce)
    return Stream.of(Genotypes.PVLL_NAS, Genotypes.DARTS_V1, Genotype.parse("Genotype(normal=[('dil_conv_5x5', 0), "
        + "('avg_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('sep_conv_5x5', 3), ('skip_connect', 1), "
        + "('dil_conv_3x3', 4), ('sep_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('skip_connect', 0), "
        + "('skip_connect', 1), ('avg_pool_3x3', 0), ('sep_conv_3x3', 2), ('dil_conv_5x5', 1), ('max_pool_3x3', 3), "
        + "('skip_connect', 4), ('sep_conv_5x5', 0)], reduce_concat=range(2, 6))"));
  }

  @ParameterizedTest
  @MethodSource("genotypes")
  void onnxRuntimeGivesPvllsLogits(Genotype genotype) throws Exception {
    Dataset images = testImages();
    float[] x = normalised(images, IMAGES);
    try (Scope scope = Scope.open(); EvalNetwork net = new EvalNetwork(NETWORK, genotype, true, Device.cpu(), 7)) {
      randomise(net, new Random(11));
      float[] expected = net.forward(Tensor.of(Device.cpu(), x, IMAGES, 1, 28, 28), 0f, new SplittableRandom(1), Mode.EVAL).logits().toArray();
      OnnxExport.Model model = OnnxExport.of(net, Normalization.FASHION_MNIST, Map.of("genotype", genotype.toDartsString()));

      float[] actual = run(model.bytes(), x, IMAGES);
      assertEquals(expected.length, actual.length);
      double worst = 0;
      for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      assertTrue(worst <= 1e-4, "largest logit difference " + worst + " over " + IMAGES + " images of " + images.name());
      for (int n = 0; n < IMAGES; n++) {
        assertEquals(argmax(expected, n), argmax(actual, n), "predicted class of image " + n);
      }
      System.out.printf("ONNX export %s: %d bytes, %d nodes, largest logit difference %.2e over %d images of %s%n",
          genotype.toDartsString().substring(0, 40), model.bytes().length, model.nodes(), worst, IMAGES, images.name());
    }
  }

  /** Runs the model in ONNX Runtime on x [n, 1, 28, 28]; returns the logits. */
  static float[] run(byte[] model, float[] x, int n) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 1, 28, 28});
        OrtSession.Result out = session.run(Map.of("images", input))) {
      FloatBuffer logits = ((OnnxTensor) out.get("logits").orElseThrow()).getFloatBuffer();
      float[] a = new float[logits.remaining()];
      logits.get(a);
      return a;
    }
  }

  /** Fashion-MNIST's test split where the data set is installed, else the embedded training images. */
  static Dataset testImages() {
    return DataLocator.standard(null).find(KnownDataset.FASHION_MNIST)
        .map(place -> Datasets.read(place).test())
        .orElseGet(Datasets::embeddedFashionMnist);
  }

  /** The first n images as (pixel / 255 - mean) / std, the way training feeds them. */
  static float[] normalised(Dataset d, int n) {
    Normalization norm = Normalization.FASHION_MNIST;
    float[] x = new float[n * 28 * 28];
    for (int i = 0; i < n; i++) {
      byte[] img = d.image(i);
      for (int k = 0; k < img.length; k++) x[i * img.length + k] = ((img[k] & 0xFF) / 255f - norm.mean()[0]) / norm.std()[0];
    }
    return x;
  }

  /** Random weights and batch-norm parameters, positive running variances. */
  static void randomise(EvalNetwork net, Random r) {
    for (Parameter p : net.parameters().parameters()) p.value().copyFrom(gaussian(r, (int) p.size(), 0.3f, 0f));
    for (Parameter p : net.buffers().parameters()) {
      boolean variance = p.name().endsWith("running_var");
      float[] v = gaussian(r, (int) p.size(), 0.2f, 0f);
      if (variance) for (int i = 0; i < v.length; i++) v[i] = 0.5f + Math.abs(v[i]) * 5;
      p.value().copyFrom(v);
    }
  }

  private static float[] gaussian(Random r, int n, float scale, float mean) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = mean + scale * (float) r.nextGaussian();
    return v;
  }

  private static int argmax(float[] logits, int row) {
    int best = 0;
    for (int k = 1; k < 10; k++) if (logits[row * 10 + k] > logits[row * 10 + best]) best = k;
    return best;
  }
}
