package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pvll.data.Dataset;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import dev.pvll.run.TrainingRun;
import dev.pvll.space.Genotypes;
import dev.pvll.testing.CapturedStreams;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pvll export} of a finished tiny training run, loaded in ONNX Runtime: its logits on the
 * run's test images against pvll's own evaluation forward of the same weights; and each kind of
 * bad input is one clear error naming the file, with nothing written.
 */
@Timeout(300)
class ExportCommandTest {
  @TempDir Path dir;
  @RegisterExtension final CapturedStreams io = new CapturedStreams();

  private Path trainedRun() throws Exception {
    Path run = dir.resolve("run");
    TrainConfig config = TrainConfig.tiny();
    try (TrainingRun t = TrainingRun.start(config, Genotypes.PVLL_NAS, DataLoading.load(config.dataset(), config.dataDir()), run)) {
      t.run(null);
    }
    return run;
  }

  @Test
  void theExportedModelGivesPvllsLogitsInOnnxRuntime() throws Exception {
    Path run = trainedRun();
    Path model = dir.resolve("model.onnx");
    assertEquals(0, Main.run("export", run.toString(), "--out", model.toString()), io.err());
    assertTrue(io.out().contains("ONNX opset 17"), io.out());
    TrainConfig config = TrainConfig.tiny();
    TrainTest data = DataLoading.load(config.dataset(), config.dataDir());
    Dataset test = data.test();
    int n = 200;
    try (GenotypeTrainer trained = TrainingRun.openFinished(run, data); Scope scope = Scope.open()) {
      float[] x = normalised(test, n, trained.normalization().mean()[0], trained.normalization().std()[0]);
      float[] expected = trained.network().forward(Tensor.of(Device.cpu(), x, n, 1, 28, 28), 0f, new SplittableRandom(1), Mode.EVAL)
          .logits().toArray();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
          OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 1, 28, 28});
          OrtSession.Result out = session.run(Map.of("images", input))) {
        FloatBuffer b = ((OnnxTensor) out.get("logits").orElseThrow()).getFloatBuffer();
        float[] actual = new float[b.remaining()];
        b.get(actual);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        assertTrue(worst <= 1e-4, "largest logit difference " + worst);
        for (int i = 0; i < n; i++) assertEquals(argmax(expected, i), argmax(actual, i), "predicted class of test image " + i);
        Map<String, String> meta = session.getMetadata().getCustomMetadata();
        assertTrue(meta.get("input").contains("(pixel / 255 - mean[c]) / std[c]"), meta.toString());
        assertEquals(Genotypes.PVLL_NAS.toDartsString(), meta.get("genotype"));
      }
    }
  }

  @Test
  void badInputIsOneClearErrorAndWritesNothing() throws Exception {
    Path run = trainedRun();
    Path model = dir.resolve("m.onnx");
    // not a run
    assertNotEquals(0, Main.run("export", dir.resolve("nowhere").toString(), "--out", model.toString()));
    assertTrue(io.err().contains("nowhere: no such folder"), io.err());
    // an unfinished run
    Path unfinished = dir.resolve("unfinished");
    copy(run, unfinished);
    Files.delete(unfinished.resolve(TrainingRun.RESULT));
    assertNotEquals(0, Main.run("export", unfinished.toString(), "--out", model.toString()));
    assertTrue(io.err().contains("not a finished training run"), io.err());
    // a truncated checkpoint
    Path truncated = dir.resolve("truncated");
    copy(run, truncated);
    byte[] c = Files.readAllBytes(truncated.resolve("checkpoint.bin"));
    Files.write(truncated.resolve("checkpoint.bin"), java.util.Arrays.copyOf(c, c.length / 2));
    assertNotEquals(0, Main.run("export", truncated.toString(), "--out", model.toString()));
    assertTrue(io.err().contains("checkpoint.bin"), io.err());
    // an unwritable output: a folder, and a path under a file
    assertNotEquals(0, Main.run("export", run.toString(), "--out", dir.toString()));
    assertTrue(io.err().contains("is a folder"), io.err());
    Path underFile = run.resolve("result.json").resolve("model.onnx");
    assertNotEquals(0, Main.run("export", run.toString(), "--out", underFile.toString()));
    assertTrue(io.err().contains(underFile.toString()), io.err());
    assertFalse(Files.exists(model), "nothing was written");
    try (Stream<Path> left = Files.list(dir)) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }
  }

  private static void copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
  }

  private static float[] normalised(Dataset d, int n, float mean, float std) {
    float[] x = new float[n * 28 * 28];
    for (int i = 0; i < n; i++) {
      byte[] img = d.image(i);
      for (int k = 0; k < img.length; k++) x[i * img.length + k] = ((img[k] & 0xFF) / 255f - mean) / std;
    }
    return x;
  }

  private static int argmax(float[] logits, int row) {
    int best = 0;
    for (int k = 1; k < 10; k++) if (logits[row * 10 + k] > logits[row * 10 + best]) best = k;
    return best;
  }
}
