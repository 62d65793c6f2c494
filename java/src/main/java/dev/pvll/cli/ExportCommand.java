package dev.pvll.cli;

import dev.pvll.export.OnnxExport;
import dev.pvll.export.OnnxFile;
import dev.pvll.run.TrainingRun;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pvll export RUN_DIR}: a finished {@code pvll train} run's network as an ONNX model. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Write a finished training run's network as an ONNX model (opset " + OnnxExport.OPSET + ", dynamic batch, inference mode: "
        + "batch norm with running statistics, no auxiliary head, no drop-path). The input normalisation is in the model's metadata."})
final class ExportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "a finished pvll train run") Path run;
  @Option(names = "--out", description = "the model file (default RUN_DIR/model.onnx); written whole or not at all") Path out;

  @Override
  public Integer call() throws Exception {
    Job.requireSingle("pvll export");
    TrainConfig config = TrainingRun.savedConfig(checkedRun());
    Path file = out != null ? out : run.resolve("model.onnx");
    try (GenotypeTrainer trained = TrainingRun.openFinished(run, DataLoading.load(config.dataset(), config.dataDir()))) {
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("genotype", trained.genotype().toDartsString());
      metadata.put("dataset", config.dataset());
      metadata.put("class_names", String.join(", ", trained.classNames()));
      metadata.put("test_accuracy", Double.toString(TrainingRun.readResult(run).testAccuracy()));
      metadata.put("trained", config.epochs() + " epochs, " + config.cells() + " cells, C=" + config.channels() + ", seed " + config.seed());
      OnnxExport.Model model = OnnxExport.of(trained.network(), trained.normalization(), metadata);
      OnnxFile.write(model.bytes(), file);
      System.out.printf("wrote %s: %,d bytes, ONNX opset %d, %d nodes; input images [batch, %d, %d, %d] normalised with mean %s, std %s%n", file,
          model.bytes().length, OnnxExport.OPSET, model.nodes(), trained.network().config().inputChannels(), trained.network().config().imageSize(),
          trained.network().config().imageSize(), model.metadata().get("normalization_mean"), model.metadata().get("normalization_std"));
    }
    return 0;
  }

  /** The run folder, refused with a clear message before any data is loaded when it cannot be a finished training run. */
  private Path checkedRun() {
    if (!java.nio.file.Files.isDirectory(run)) throw new IllegalArgumentException(run + ": no such folder");
    if (!TrainingRun.isFinished(run)) {
      throw new IllegalArgumentException(run + ": not a finished training run (no " + TrainingRun.RESULT + "); pvll export takes a folder "
          + "of pvll train, finished (pvll train --resume " + run + " finishes one)");
    }
    return run;
  }
}
