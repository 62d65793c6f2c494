package dev.pvll.cli;

import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchDivergedException;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchPresets;
import dev.pvll.space.NetworkConfig;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pvll search}: the main job. Flags override the preset; every flag is checked before any work. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Search an architecture with PVLL-NAS.",
        "With no arguments: the embedded Fashion-MNIST subset on the best device, sized for a 2-core CPU (under 10 minutes)."})
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--preset", description = "default (CPU-sized, METHOD.md's labels), one-shot (the default's budget with frozen one-shot labels, "
      + "the opcount psi, arch lr 0.1, 150 steps), paper (METHOD.md's full protocol on CIFAR-10), tiny (seconds)")
  String preset = "default";

  @Option(names = "--out", description = "output folder (default: a new folder under runs/)")
  Path out;

  @Option(names = "--resume", paramLabel = "DIR", description = "continue the run whose checkpoint is in DIR")
  Path resume;

  @Option(names = "--method", description = "pvll, random (random-search baseline on the same schedule) or gdas (GDAS baseline)")
  String method;

  @Option(names = "--dataset", description = "fashion-mnist-embedded, fashion-mnist, mnist, cifar10, cifar100")
  String dataset;

  @Option(names = "--data-dir", description = "folder searched first for the data set")
  Path dataDir;

  @Option(names = "--device", description = "cpu, cuda:N or auto")
  String device;

  @Option(names = "--cuda-graphs", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "on a GPU, replay each training step and validation batch as one captured CUDA graph (default); "
          + "--no-cuda-graphs runs the same step as plain launches")
  boolean cudaGraphs = true;

  @Option(names = "--cuda-lanes", description = "with CUDA graphs, run each cell's edges as parallel branches of the graph "
      + "(same numbers; which is faster is measured by pvll bench step)")
  boolean cudaLanes;

  @Option(names = "--seed") Long seed;
  @Option(names = "--warmup", description = "warm-up population N (0 = no warm-up)") Integer warmup;
  @Option(names = "--steps", description = "search steps T") Integer steps;
  @Option(names = "--cells") Integer cells;
  @Option(names = "--channels", description = "initial channels C") Integer channels;
  @Option(names = "--batch-size") Integer batchSize;
  @Option(names = "--train-images", description = "training images per epoch (0 = the whole split)") Integer trainImages;
  @Option(names = "--val-images", description = "validation images per label (0 = the whole split)") Integer valImages;
  @Option(names = "--train-fraction", description = "share of the training set used for training (0.5)") Double trainFraction;
  @Option(names = "--lr", description = "initial network learning rate (0.025)") Double lr;
  @Option(names = "--lr-min", description = "final network learning rate (0.001)") Double lrMin;
  @Option(names = "--arch-lr", description = "architecture Adam learning rate (3e-4)") Double archLr;
  @Option(names = "--tau", description = "Gumbel-softmax temperature (0.1)") Double tau;
  @Option(names = "--predictor", description = "lstm (METHOD.md), mlp, or opcount (linear in the op counts per cell type, 17 parameters)") String predictor;
  @Option(names = "--weighted-loss", negatable = true, description = "psi loss weighted by 1/L (default on)") Boolean weightedLoss;
  @Option(names = "--sampler", description = "around-a (METHOD.md) or uniform (ablation)") String sampler;
  @Option(names = "--memory", description = "memory capacity (100)") Integer memory;
  @Option(names = "--psi-passes", description = "maximum psi refit passes (500)") Integer psiPasses;
  @Option(names = "--label-mode", description = "eval (METHOD.md: one more supernet epoch, running BN statistics), batch-stats (each validation batch's own statistics) snapshot (every label is one epoch from the weights saved after the first warm-up pass, at its learning rate and data order: labels without drift) or frozen (both warm-up passes train, then the weights freeze and every label is a validation pass with batch statistics: a label is a function of the architecture)") String labelMode;
  @Option(names = "--cutout", description = "cutout length during supernet training (0 = off)") Integer cutout;

  @Override
  public Integer call() throws Exception {
    if (!cudaGraphs) System.setProperty(SearchEngine.CUDA_GRAPHS_PROPERTY, "false");
    if (cudaLanes) System.setProperty(SearchEngine.CUDA_LANES_PROPERTY, "true");
    SearchEngine engine;
    if (resume != null) {
      if (out != null) throw new IllegalArgumentException("--resume and --out cannot be used together: the run continues in its own folder");
      SearchConfig saved = SearchEngine.savedConfig(resume);
      engine = SearchEngine.resume(resume, loadTrain(saved));
      System.err.println("resuming " + resume);
    } else {
      SearchConfig base = SearchPresets.byName(preset);
      Dataset train = loadTrain(withDataset(base));
      SearchConfig config = build(base, train);
      Path dir = out != null ? out : Path.of("runs", "search-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      engine = SearchEngine.start(config, train, dir);
      printConfig(config, dir, train);
    }
    try (engine) {
      ProgressBar bar = new ProgressBar(System.err);
      SearchEngine.Result r = engine.run(bar::unit);
      bar.done();
      System.out.printf("genotype          %s%n", r.genotype().toDartsString());
      System.out.printf("final val loss    %.4f (warm-up mean %.4f, best %.4f; best measured in the run %.4f)%n",
          r.finalValidationLoss(), r.warmupMeanLoss(), r.warmupBestLoss(), r.bestMeasuredLoss());
      System.out.printf("psi held-out tau  %.3f%n", r.heldOutTau());
      System.out.printf("wall time         %.1f s%n", r.seconds());
      System.out.printf("output            %s%n", r.outDir());
      return 0;
    } catch (SearchDivergedException e) {
      System.err.println("search stopped: " + e.getMessage() + "; the last good checkpoint is intact, resume with --resume");
      return 3;
    }
  }

  private SearchConfig withDataset(SearchConfig b) {
    return dataset == null && dataDir == null ? b : copy(b, dataset != null ? dataset : b.dataset(), dataDir != null ? dataDir.toString() : b.dataDir(), b.network());
  }

  /** The search uses the training set only (split into training and validation halves); the embedded subset whole. */
  private static Dataset loadTrain(SearchConfig c) {
    if (c.dataset().equals(DataLoading.EMBEDDED)) return Datasets.embeddedFashionMnist();
    return DataLoading.load(c.dataset(), c.dataDir()).train();
  }

  /** The preset with every flag given applied; the network takes the data set's shape. */
  private SearchConfig build(SearchConfig b, Dataset train) {
    NetworkConfig n = b.network();
    NetworkConfig net = new NetworkConfig(cells != null ? cells : n.cells(), channels != null ? channels : n.channels(), n.nodes(),
        train.channels(), Math.max(train.classCount(), 2), train.height(), n.stemMultiplier());
    if (train.height() != train.width()) throw new IllegalArgumentException("--dataset: square images needed, got " + train.height() + "x" + train.width());
    boolean uniform = b.uniformSampler();
    if (sampler != null) {
      if (!sampler.equals("around-a") && !sampler.equals("uniform")) throw new IllegalArgumentException("--sampler must be around-a or uniform, got " + sampler);
      uniform = sampler.equals("uniform");
    }
    return new SearchConfig(
        method != null ? method : b.method(), dataset != null ? dataset : b.dataset(), dataDir != null ? dataDir.toString() : b.dataDir(), net,
        batchSize != null ? batchSize : b.batchSize(), trainImages != null ? trainImages : b.trainImages(),
        valImages != null ? valImages : b.validationImages(), trainFraction != null ? trainFraction : b.trainFraction(),
        lr != null ? lr : b.lrMax(), lrMin != null ? lrMin : b.lrMin(), b.momentum(), b.weightDecay(), b.gradClip(),
        cutout != null ? cutout : b.cutout(), warmup != null ? warmup : b.warmup(), steps != null ? steps : b.steps(),
        memory != null ? memory : b.memoryCapacity(), predictor != null ? predictor : b.predictor(),
        weightedLoss != null ? weightedLoss : b.weightedLoss(), psiPasses != null ? psiPasses : b.psiPasses(), b.psiStopTau(), b.psiLr(),
        archLr != null ? archLr : b.archLr(), b.archWeightDecay(), tau != null ? tau : b.tau(), uniform,
        labelMode != null ? labelMode : b.labelMode(), seed != null ? seed : b.seed(), device != null ? device : b.device());
  }

  private static SearchConfig copy(SearchConfig b, String dataset, String dataDir, NetworkConfig net) {
    return new SearchConfig(b.method(), dataset, dataDir, net, b.batchSize(), b.trainImages(), b.validationImages(), b.trainFraction(),
        b.lrMax(), b.lrMin(), b.momentum(), b.weightDecay(), b.gradClip(), b.cutout(), b.warmup(), b.steps(), b.memoryCapacity(),
        b.predictor(), b.weightedLoss(), b.psiPasses(), b.psiStopTau(), b.psiLr(), b.archLr(), b.archWeightDecay(), b.tau(),
        b.uniformSampler(), b.labelMode(), b.seed(), b.device());
  }

  private void printConfig(SearchConfig c, Path dir, Dataset train) {
    NetworkConfig n = c.network();
    System.err.printf("pvll search (%s preset) -> %s%n", preset, dir);
    System.err.printf("  data      %s: %d images %dx%dx%d, split %.0f%% train; %d train images/epoch, %d validation images/label%n",
        c.dataset(), train.size(), train.channels(), train.height(), train.width(), 100 * c.trainFraction(),
        c.trainImages() == 0 ? (int) (train.size() * c.trainFraction()) : c.trainImages(), c.validationImages());
    System.err.printf("  network   %d cells, C=%d, %d nodes, batch %d, device %s%n", n.cells(), n.channels(), n.nodes(), c.batchSize(), c.device());
    System.err.printf("  schedule  %s: warm-up N=%d (trained twice), T=%d steps, %d epochs, lr %.3g -> %.3g cosine%n",
        c.method(), c.warmup(), c.steps(), c.totalEpochs(), c.lrMax(), c.lrMin());
    System.err.printf("  psi       %s, %s loss, memory %d, refit <= %d passes (stop at tau %.2f); arch Adam lr %.2g, tau %.2g, sampler %s%n",
        c.predictor(), c.weightedLoss() ? "weighted" : "mean squared", c.memoryCapacity(), c.psiPasses(), c.psiStopTau(), c.archLr(),
        c.tau(), c.uniformSampler() ? "uniform" : "around A");
  }
}
