import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.run.TrainingRun;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Evidence for the ONNX export on a real retrained network: a finished `pvll train` run's exported
 * model (MODEL) against pvll's own evaluation forward of the same checkpoint (RUN_DIR) on every
 * test image of the run's data set, in batches: the largest logit difference and how many
 * predicted classes differ. Run by onnx-check.sh (single-file source launch; ONNX Runtime from the
 * local Maven repository). Not a test: the tests are OnnxExportTest and ExportCommandTest.
 */
public final class OnnxCheck {
  public static void main(String[] args) throws Exception {
    Path run = Path.of(args[0]), model = Path.of(args[1]);
    TrainConfig config = TrainingRun.savedConfig(run);
    TrainTest data = Datasets.byName(config.dataset(), config.dataDir());
    Dataset test = data.test();
    int n = test.size(), batch = 500, side = 28;
    double worst = 0;
    int disagree = 0;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (GenotypeTrainer trained = TrainingRun.openFinished(run, data);
        OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
      float mean = trained.normalization().mean()[0], std = trained.normalization().std()[0];
      for (int start = 0; start < n; start += batch) {
        int b = Math.min(batch, n - start);
        float[] x = new float[b * side * side];
        for (int i = 0; i < b; i++) {
          byte[] img = test.image(start + i);
          for (int k = 0; k < img.length; k++) x[i * img.length + k] = ((img[k] & 0xFF) / 255f - mean) / std;
        }
        float[] expected;
        try (Scope scope = Scope.open()) {
          expected = trained.network().forward(Tensor.of(Device.cpu(), x, b, 1, side, side), 0f, new SplittableRandom(1), Mode.EVAL)
              .logits().toArray();
        }
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {b, 1, side, side});
            OrtSession.Result out = session.run(Map.of("images", input))) {
          FloatBuffer fb = ((OnnxTensor) out.get("logits").orElseThrow()).getFloatBuffer();
          float[] actual = new float[fb.remaining()];
          fb.get(actual);
          int classes = actual.length / b;
          for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
          for (int i = 0; i < b; i++) if (argmax(expected, i, classes) != argmax(actual, i, classes)) disagree++;
        }
      }
    }
    System.out.printf("%d test images: largest logit difference %.3g, predicted classes differing: %d%n", n, worst, disagree);
    System.exit(worst <= 1e-4 && disagree == 0 ? 0 : 1);
  }

  private static int argmax(float[] logits, int row, int classes) {
    int best = 0;
    for (int k = 1; k < classes; k++) if (logits[row * classes + k] > logits[row * classes + best]) best = k;
    return best;
  }
}
