package dev.pvll.cli;

import dev.pvll.data.TrainTest;
import dev.pvll.report.CellPicture;
import dev.pvll.run.RunFolder;
import dev.pvll.run.TrainingRun;
import dev.pvll.space.Genotype;
import dev.pvll.space.Genotypes;
import dev.pvll.space.RandomGenotypes;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import dev.pvll.train.TrainingSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pvll train}: retrain genotypes from scratch, several seeds each, and summarise. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Retrain a genotype (or several, with several seeds) and evaluate it on the test set.",
        "Default: a CPU-sized budget on Fashion-MNIST (5 cells, C=8, 10,000 training images, 6 epochs)."})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--genotype", split = ";", paramLabel = "FILE|NAME|TEXT",
      description = "genotype.json, a file or text in DARTS form, or a built-in name (PVLL_NAS, DARTS_V1, DARTS_V2); repeat or separate with ';'")
  List<String> genotypes = new ArrayList<>();

  @Option(names = "--random", paramLabel = "K", description = "also train K random genotypes from the same space")
  int random;

  @Option(names = "--random-seed", description = "seed of the random genotypes (default 7)")
  long randomSeed = 7;

  @Option(names = "--seeds", split = ",", description = "training seeds, e.g. 1,2,3 (default: the preset's one)")
  List<Long> seeds = new ArrayList<>();

  @Option(names = "--preset", description = "default (CPU-sized), paper (METHOD.md: 20 cells, C=36, 600 epochs, CIFAR-10), tiny")
  String preset = "default";

  @Option(names = "--out", description = "output folder (default: a new folder under runs/)") Path out;
  @Option(names = "--resume", paramLabel = "DIR", description = "continue the single training run in DIR") Path resume;
  @Option(names = "--dataset") String dataset;
  @Option(names = "--data-dir") Path dataDir;
  @Option(names = "--device") String device;
  @Option(names = "--cells") Integer cells;
  @Option(names = "--channels") Integer channels;
  @Option(names = "--epochs") Integer epochs;
  @Option(names = "--batch-size") Integer batchSize;
  @Option(names = "--train-images", description = "training images (0 = all)") Integer trainImages;
  @Option(names = "--test-images", description = "test images (0 = all)") Integer testImages;
  @Option(names = "--lr") Double lr;
  @Option(names = "--aux-weight", description = "auxiliary loss weight (0.4; 0 = no auxiliary head)") Double auxWeight;
  @Option(names = "--drop-path", description = "maximum drop-path probability (0.2)") Double dropPath;
  @Option(names = "--cutout", description = "cutout length (16)") Integer cutout;

  @Override
  public Integer call() throws Exception {
    if (resume != null) {
      if (!RunFolder.hasCheckpoint(resume)) throw new IllegalArgumentException("--resume " + resume + ": no " + RunFolder.CHECKPOINT + " there");
      TrainConfig saved = TrainingRun.savedConfig(resume);
      try (TrainingRun t = TrainingRun.resume(resume, DataLoading.load(saved.dataset(), saved.dataDir()))) {
        print(t.run(this::progress), t.dir());
      }
      return 0;
    }
    TrainConfig config = build(TrainConfig.byName(preset));
    Map<String, Genotype> todo = new LinkedHashMap<>();
    for (String g : genotypes) todo.put(label(g), Genotypes.load(g));
    Random r = new Random(randomSeed);
    for (int k = 0; k < random; k++) todo.put("random-" + (k + 1), RandomGenotypes.sample(r, 4));
    if (todo.isEmpty()) throw new IllegalArgumentException("--genotype or --random is required");
    List<Long> runSeeds = seeds.isEmpty() ? List.of(config.seed()) : seeds;
    TrainTest data = DataLoading.load(config.dataset(), config.dataDir());
    Path dir = out != null ? out : Path.of("runs", "train-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    boolean single = todo.size() == 1 && runSeeds.size() == 1;
    System.err.printf("pvll train (%s preset) -> %s: %d genotype(s) x %d seed(s); %s, %d cells, C=%d, %d epochs, batch %d, %s training images%n",
        preset, dir, todo.size(), runSeeds.size(), config.dataset(), config.cells(), config.channels(), config.epochs(), config.batchSize(),
        config.trainImages() == 0 ? "all" : String.valueOf(config.trainImages()));
    TrainingSummary summary = new TrainingSummary();
    for (Map.Entry<String, Genotype> g : todo.entrySet()) {
      for (long seed : runSeeds) {
        Path runDir = single ? dir : dir.resolve(g.getKey() + "-seed" + seed);
        // a comparison run again with the same --out continues: finished runs are read back, a cut-off run resumes
        if (!single && TrainingRun.isFinished(runDir)) {
          System.err.printf("== %s, seed %d: finished before, read from %s%n", g.getKey(), seed, runDir.resolve(TrainingRun.RESULT));
          summary.add(g.getKey(), TrainingRun.readResult(runDir));
          continue;
        }
        boolean resuming = !single && RunFolder.hasCheckpoint(runDir);
        if (!resuming && RunFolder.hasCheckpoint(runDir)) {
          throw new IllegalArgumentException("--out " + runDir + " already holds a training run; use --resume " + runDir);
        }
        System.err.printf("== %s, seed %d -> %s%s%n", g.getKey(), seed, runDir, resuming ? " (resuming)" : "");
        try (TrainingRun t = resuming ? TrainingRun.resume(runDir, data) : TrainingRun.start(config.withSeed(seed), g.getValue(), data, runDir)) {
          if (!resuming) {
            CellPicture.writePng(g.getValue(), runDir);
            CellPicture.writeSvg(g.getValue(), runDir);
          }
          GenotypeTrainer.Result result = t.run(this::progress);
          print(result, t.dir());
          summary.add(g.getKey(), result);
        }
      }
    }
    if (!single) {
      TrainingRun.writeComparison(dir, summary);
      System.out.println();
      System.out.print(summary.markdown());
    }
    return 0;
  }

  private void progress(int epoch, int epochs, com.google.gson.JsonObject line, double elapsed) {
    System.err.printf("  epoch %d/%d  train %.4f (%.2f%%)  test %.4f (%.2f%%)  lr %.4f  %.1f s%n", epoch, epochs,
        line.get("train_loss").getAsDouble(), 100 * line.get("train_acc").getAsDouble(), line.get("test_loss").getAsDouble(),
        100 * line.get("test_acc").getAsDouble(), line.get("lr").getAsDouble(), elapsed);
  }

  private static void print(GenotypeTrainer.Result r, Path dir) {
    System.out.printf("test accuracy %.2f%%, %,d parameters, %,d multiply-adds, %.1f s -> %s%n", 100 * r.testAccuracy(), r.parameters(),
        r.multiplyAdds(), r.seconds(), dir);
  }

  private static String label(String g) {
    if (Genotypes.names().contains(g.toUpperCase().replace('-', '_'))) return g.toUpperCase();
    Path p = Path.of(g.length() < 200 ? g : "inline");
    if (Files.exists(p)) {
      Path parent = p.toAbsolutePath().getParent();
      return parent != null && parent.getFileName() != null ? parent.getFileName().toString() : p.getFileName().toString();
    }
    return "genotype-" + Integer.toHexString(g.hashCode());
  }

  private TrainConfig build(TrainConfig b) {
    return new TrainConfig(dataset != null ? dataset : b.dataset(), dataDir != null ? dataDir.toString() : b.dataDir(),
        cells != null ? cells : b.cells(), channels != null ? channels : b.channels(), epochs != null ? epochs : b.epochs(),
        batchSize != null ? batchSize : b.batchSize(), trainImages != null ? trainImages : b.trainImages(),
        testImages != null ? testImages : b.testImages(), lr != null ? lr : b.lr(), b.momentum(), b.weightDecay(), b.gradClip(),
        auxWeight != null ? auxWeight : b.auxWeight(), dropPath != null ? dropPath : b.dropPath(), cutout != null ? cutout : b.cutout(),
        b.seed(), device != null ? device : b.device());
  }
}
