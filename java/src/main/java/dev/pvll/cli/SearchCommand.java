package dev.pvll.cli;

import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.kernels.CollectivesConfig;
import dev.pvll.kernels.CudaGraph;
import dev.pvll.kernels.LaunchEnvironment;
import dev.pvll.report.CellPicture;
import dev.pvll.run.RunFolder;
import dev.pvll.run.RunJson;
import dev.pvll.run.SearchRun;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.InvalidSettingException;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.PredictorKind;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchDivergedException;
import dev.pvll.search.SearchEngine;
import dev.pvll.search.SearchPresets;
import dev.pvll.space.NetworkConfig;
import dev.pvll.supernet.StepLaunch;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pvll search}: the main job. Flags override the preset; every flag is checked before any work. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Search an architecture with PVLL-NAS.",
        "With no arguments: the one-shot preset (ours; --preset faithful is METHOD.md's method) on the embedded Fashion-MNIST "
            + "subset on the best device, sized for a 2-core CPU (under 10 minutes)."})
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--preset", description = "default, the same as one-shot (ours, sized for a 2-core CPU: frozen one-shot labels, "
      + "each label on the whole validation half (" + SearchPresets.ONE_SHOT_VALIDATION_IMAGES + " images), genotype draws, a kernel ridge psi "
      + "over a memory of 200 choosing each label among 10 draws and 10 mutations, the ranked final rule, "
      + "arch lr 0.1, 150 steps; what pvll compare runs as PVLL), faithful (METHOD.md's method as the paper describes it, at the same "
      + "CPU budget: eval-mode labels, an op on every edge, LSTM psi, DARTS's rule), paper (METHOD.md's full protocol on CIFAR-10), "
      + "tiny (seconds)")
  String preset = "default";

  @Option(names = "--out", description = "output folder (default: a new folder under runs/)")
  Path out;

  @Option(names = "--resume", paramLabel = "DIR", description = "continue the run whose checkpoint is in DIR")
  Path resume;

  @Option(names = "--method", description = "pvll, random (random-search baseline on the same schedule), gdas (GDAS baseline) or evolution (regularized evolution; needs --draw genotype)")
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

  @Option(names = "--cuda-switches", description = "each (a kernel before every switch node of a graph, default) or root (one kernel "
      + "at the graph's root sets them all)")
  String cudaSwitches;

  @Option(names = "--seed") Long seed;
  @Option(names = "--warmup", description = "warm-up population N (0 = no warm-up)") Integer warmup;
  @Option(names = "--steps", description = "search steps T (faithful 30; default preset 150, each a validation pass)") Integer steps;
  @Option(names = "--cells") Integer cells;
  @Option(names = "--channels", description = "initial channels C") Integer channels;
  @Option(names = "--batch-size") Integer batchSize;
  @Option(names = "--train-images", description = "training images per epoch (0 = the whole split)") Integer trainImages;
  @Option(names = "--val-images", description = "validation images per label (0 = the whole split; the preset's count by default: "
      + SearchPresets.ONE_SHOT_VALIDATION_IMAGES + " in one-shot, " + SearchPresets.FAITHFUL_VALIDATION_IMAGES + " in faithful)") Integer valImages;
  @Option(names = "--train-fraction", description = "share of the training set used for training (0.5)") Double trainFraction;
  @Option(names = "--lr", description = "initial network learning rate (0.025)") Double lr;
  @Option(names = "--lr-min", description = "final network learning rate (0.001)") Double lrMin;
  @Option(names = "--arch-lr", description = "architecture Adam learning rate (METHOD.md 3e-4; default preset 0.1)") Double archLr;
  @Option(names = "--tau", description = "Gumbel-softmax temperature (0.1)") Double tau;
  @Option(names = "--predictor", description = "lstm (METHOD.md), mlp, opcount (linear in the op counts per cell type, 17 parameters), linear (linear in H: a weight per edge and op), ridge (linear in H, fitted in closed form, penalty by leave-one-out) or kernel (kernel ridge: linear plus radial kernel on H and the ops' attributes, closed form, chosen by leave-one-out)") String predictor;
  @Option(names = "--weighted-loss", negatable = true, description = "psi loss weighted by 1/L (default on)") Boolean weightedLoss;
  @Option(names = "--sampler", description = "around-a (METHOD.md) or uniform (ablation)") String sampler;
  @Option(names = "--draw", description = "every-edge (METHOD.md: an op on every edge) or genotype (ours: two inputs per node, "
      + "one op per kept edge, from A's distribution, so every label belongs to a genotype the search can return)") String draw;
  @Option(names = "--proposals", description = "PVLL: draws from A per step, the one psi predicts lowest is labelled (1: METHOD.md)")
  Integer proposals;
  @Option(names = "--mutations", description = "PVLL, needs --draw genotype: single mutations of the memory's 5 best measured genotypes "
      + "added to what psi ranks each step (0: METHOD.md)") Integer mutations;
  @Option(names = "--final-rule", description = "darts-rule (METHOD.md: the DARTS rule on A) or ranked (ours, needs --draw genotype: "
      + "the best measured genotypes and the best of A's draws by psi are measured again, the best label wins)") String finalRule;
  @Option(names = "--finalists", description = "ranked rule: measured and drawn genotypes measured again, of each (2)") Integer finalists;
  @Option(names = "--population", description = "evolution: population P (20)") Integer population;
  @Option(names = "--tournament", description = "evolution: tournament size S (5)") Integer tournament;
  @Option(names = "--memory", description = "memory capacity (METHOD.md 100; default preset 200)") Integer memory;
  @Option(names = "--psi-passes", description = "maximum psi refit passes, psi trained by Adam (500)") Integer psiPasses;
  @Option(names = "--label-mode", description = "eval (METHOD.md: one more supernet epoch, running BN statistics), batch-stats (each validation batch's own statistics) snapshot (every label is one epoch from the weights saved after the first warm-up pass, at its learning rate and data order: labels without drift) or frozen (both warm-up passes train, then the weights freeze and every label is a validation pass with batch statistics: a label is a function of the architecture)") String labelMode;
  @Option(names = "--cutout", description = "cutout length during supernet training (0 = off)") Integer cutout;

  // data-parallel runs (mpirun -np R pvll search ..., srun --mpi=pmix pvll search ...): the launcher gives the ranks
  @Option(names = "--collectives-timeout", paramLabel = "SECONDS", description = "with several ranks: how long any wait for the "
      + "other ranks may take before the run fails with an error (default 120)") Double collectivesTimeout;
  @Option(names = "--threads", description = "CPU kernel threads (default: all cores; with several ranks on one host, its cores "
      + "shared evenly)") Integer threads;

  /** The flag of each setting that has one, for messages ({@link InvalidSettingException#describe}). */
  static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("preset", "--preset"),
      Map.entry("data.batchSize", "--batch-size"), Map.entry("data.trainImages", "--train-images"),
      Map.entry("data.validationImages", "--val-images"), Map.entry("data.trainFraction", "--train-fraction"),
      Map.entry("data.cutout", "--cutout"), Map.entry("schedule.warmup", "--warmup"), Map.entry("schedule.steps", "--steps"),
      Map.entry("schedule.lrMax", "--lr"), Map.entry("schedule.lrMin", "--lr-min"), Map.entry("psi.predictor", "--predictor"),
      Map.entry("psi.memoryCapacity", "--memory"), Map.entry("psi.passes", "--psi-passes"), Map.entry("architecture.lr", "--arch-lr"),
      Map.entry("architecture.tau", "--tau"), Map.entry("architecture.sampler", "--sampler"), Map.entry("architecture.draw", "--draw"), Map.entry("architecture.proposals", "--proposals"),
      Map.entry("architecture.mutations", "--mutations"),
      Map.entry("finalGenotype.rule", "--final-rule"), Map.entry("finalGenotype.finalists", "--finalists"),
      Map.entry("evolution.population", "--population"), Map.entry("evolution.tournament", "--tournament"),
      Map.entry("method", "--method"), Map.entry("labelMode", "--label-mode"), Map.entry("parallel.ranks", "the number of ranks"));

  /** Runs build, with a bad setting's message naming its flag. */
  static <T> T withFlagNames(Supplier<T> build) {
    try {
      return build.get();
    } catch (InvalidSettingException e) {
      throw new IllegalArgumentException(e.describe(s -> FLAGS.getOrDefault(s, s)), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (resume != null && out != null) throw new IllegalArgumentException("--resume and --out cannot be used together: the run continues in its own folder");
    double timeout = collectivesTimeout != null ? collectivesTimeout : CollectivesConfig.DEFAULT_TIMEOUT.toSeconds();
    if (!(timeout >= 0.001) || Double.isInfinite(timeout)) throw new IllegalArgumentException("--collectives-timeout must be a positive number of seconds, got " + timeout);
    if (threads != null && threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
    if (resume != null) {
      if (!RunFolder.hasCheckpoint(resume) && LaunchEnvironment.detect().isRoot()) {
        throw new IllegalArgumentException("--resume " + resume + ": no " + RunFolder.CHECKPOINT + " there");
      }
      try (Job job = Job.open(device != null ? device : "auto", timeout, threads)) {
        return job.run(() -> {
          SearchRun.Checkpointed saved = SearchRun.read(resume, job.collectives(), job.isParallel() ? timeout : null);
          SearchRun run = SearchRun.resume(saved, loadTrain(saved.config()), job.collectives());
          if (job.isRoot()) System.err.println("resuming " + resume + (job.isParallel() ? " with " + job.parallel().ranks() + " ranks" : ""));
          return search(run, job);
        });
      }
    }
    SearchConfig base = withFlagNames(() -> SearchPresets.byName(preset));
    SearchConfig.Data data = withFlagNames(() -> data(base.data()));
    Dataset train = loadTrain(base.withData(data));
    SearchConfig built = withFlagNames(() -> build(base, data, train));
    Path dir = out != null ? out : Path.of("runs", "search-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (RunFolder.hasCheckpoint(dir) && LaunchEnvironment.detect().isRoot()) {
      throw new IllegalArgumentException("--out " + dir + " already holds a search; use --resume " + dir + " or another --out");
    }
    try (Job job = Job.open(built.device(), timeout, threads)) {
      return job.run(() -> {
        SearchConfig config = withFlagNames(() -> built.withParallel(job.parallel()));
        SearchRun run = SearchRun.start(config, train, dir, job.collectives());
        if (job.isRoot()) printConfig(config, dir, train);
        return search(run, job);
      });
    }
  }

  /** Runs the search to its end; rank 0 prints and writes the cell pictures. */
  private static int search(SearchRun run, Job job) throws Exception {
    try (run) {
      ProgressBar bar = new ProgressBar(System.err);
      SearchEngine.Result r = run.run(bar::unit);
      if (!job.isRoot()) return 0;
      bar.done();
      CellPicture.writeSvg(r.genotype(), run.dir());
      CellPicture.writePng(r.genotype(), run.dir());
      System.out.printf("genotype          %s%n", r.genotype().toDartsString());
      System.out.printf("final val loss    %.4f (warm-up mean %.4f, best %.4f; best measured in the run %.4f)%n",
          r.finalValidationLoss(), r.warmupMeanLoss(), r.warmupBestLoss(), r.bestMeasuredLoss());
      System.out.printf("psi held-out tau  %.3f (second half of the search %.3f)%n", r.heldOutTau(), r.heldOutTauSecondHalf());
      System.out.printf("wall time         %.1f s%n", r.seconds());
      System.out.printf("output            %s%n", run.dir());
      return 0;
    } catch (SearchDivergedException e) {
      // every rank measured the same loss: all stop here alike
      if (job.isRoot()) System.err.println("search stopped: " + e.getMessage() + "; the last good checkpoint is intact, resume with --resume");
      return 3;
    }
  }

  private static Dataset loadTrain(SearchConfig c) {
    return DataLoading.searchSet(c.data());
  }

  /** The preset with every flag given applied; the network takes the data set's shape. */
  private SearchConfig build(SearchConfig b, SearchConfig.Data data, Dataset train) {
    if (train.height() != train.width()) throw new IllegalArgumentException("--dataset: square images needed, got " + train.height() + "x" + train.width());
    NetworkConfig n = b.network();
    NetworkConfig net = new NetworkConfig(cells != null ? cells : n.cells(), channels != null ? channels : n.channels(), n.nodes(),
        train.channels(), Math.max(train.classCount(), 2), train.height(), n.stemMultiplier());
    SearchConfig.Schedule s = b.schedule()
        .withLength(warmup != null ? warmup : b.schedule().warmup(), steps != null ? steps : b.schedule().steps())
        .withLearningRates(lr != null ? lr : b.schedule().lrMax(), lrMin != null ? lrMin : b.schedule().lrMin());
    SearchConfig.Psi psi = b.psi();
    if (predictor != null) psi = psi.withPredictor(choice(PredictorKind.class, predictor, "--predictor"));
    if (weightedLoss != null) psi = psi.withWeightedLoss(weightedLoss);
    if (memory != null) psi = psi.withMemoryCapacity(memory);
    if (psiPasses != null) psi = psi.withPasses(psiPasses);
    SearchConfig.ArchitectureStep arch = b.architecture();
    if (archLr != null) arch = arch.withLr(archLr);
    if (tau != null) arch = arch.withTau(tau);
    if (sampler != null) arch = arch.withSampler(choice(Architect.Sampler.class, sampler, "--sampler"));
    if (draw != null) arch = arch.withDraw(choice(Architect.Draw.class, draw, "--draw"));
    if (proposals != null) arch = arch.withProposals(proposals);
    if (mutations != null) arch = arch.withMutations(mutations);
    SearchConfig.FinalGenotype fin = b.finalGenotype();
    if (finalRule != null) fin = fin.withRule(choice(FinalRule.class, finalRule, "--final-rule"));
    if (finalists != null) fin = fin.withFinalists(finalists);
    SearchConfig.Evolution evo = new SearchConfig.Evolution(population != null ? population : b.evolution().population(),
        tournament != null ? tournament : b.evolution().tournament());
    Method m = method != null ? choice(Method.class, method, "--method") : b.method();
    if (m == Method.GDAS) {
      // GDAS steps A on every edge and returns DARTS's rule: a preset's genotype draws, psi's proposals and the ranked rule
      // give way unless a flag asks for them
      if (mutations == null) arch = arch.withMutations(0);
      if (proposals == null) arch = arch.withProposals(1);
      if (draw == null) arch = arch.withDraw(Architect.Draw.EVERY_EDGE);
      if (finalRule == null) fin = fin.withRule(FinalRule.DARTS_RULE);
    }
    StepLaunch launch = b.launch().withKind(cudaGraphs ? b.launch().kind() : StepLaunch.Kind.RESIDENT).withLanes(cudaLanes || b.launch().lanes());
    if (cudaSwitches != null) launch = launch.withSwitches(choice(CudaGraph.SwitchSetting.class, cudaSwitches, "--cuda-switches"));
    return new SearchConfig(m, data, net, s, psi, arch,
        fin, evo, labelMode != null ? choice(LabelMode.class, labelMode, "--label-mode") : b.labelMode(), launch, seed != null ? seed : b.seed(),
        device != null ? device : b.device());
  }

  private SearchConfig.Data data(SearchConfig.Data d) {
    if (dataset != null) d = d.withDataset(dataset);
    if (dataDir != null) d = d.withDataDir(dataDir.toString());
    if (batchSize != null) d = d.withBatchSize(batchSize);
    if (trainImages != null) d = d.withTrainImages(trainImages);
    if (valImages != null) d = d.withValidationImages(valImages);
    if (trainFraction != null) d = d.withTrainFraction(trainFraction);
    if (cutout != null) d = d.withCutout(cutout);
    return d;
  }

  /** The constant a flag's value names ({@link RunJson#text}: {@code batch-stats} is BATCH_STATS). */
  private static <E extends Enum<E>> E choice(Class<E> type, String value, String flag) {
    try {
      return RunJson.parse(type, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
  }

  private void printConfig(SearchConfig c, Path dir, Dataset train) {
    NetworkConfig n = c.network();
    SearchConfig.Data d = c.data();
    SearchConfig.Schedule s = c.schedule();
    SearchConfig.Psi p = c.psi();
    SearchConfig.ArchitectureStep a = c.architecture();
    System.err.printf("pvll search (%s preset) -> %s%n", preset.equalsIgnoreCase("default") ? "default = " + SearchPresets.DEFAULT : preset, dir);
    System.err.printf("  data      %s: %d images %dx%dx%d, split %.0f%% train; %d train images/epoch, %d validation images/label%n",
        d.dataset(), train.size(), train.channels(), train.height(), train.width(), 100 * d.trainFraction(),
        d.trainImages() == 0 ? (int) (train.size() * d.trainFraction()) : d.trainImages(), d.validationImages());
    System.err.printf("  network   %d cells, C=%d, %d nodes, batch %d, device %s, launch %s%n", n.cells(), n.channels(), n.nodes(), d.batchSize(),
        c.device(), RunJson.text(c.launch().kind()));
    System.err.printf("  schedule  %s: warm-up N=%d (trained twice), T=%d steps, %d epochs, lr %.3g -> %.3g cosine%n",
        RunJson.text(c.method()), s.warmup(), s.steps(), c.totalEpochs(), s.lrMax(), s.lrMin());
    String refit = p.predictor() == PredictorKind.RIDGE ? "fitted in closed form (penalty by leave-one-out)"
        : p.predictor() == PredictorKind.KERNEL ? "fitted in closed form (kernel and penalty by leave-one-out)"
        : String.format("refit <= %d passes (stop at tau %.2f)", p.passes(), p.stopTau());
    System.err.printf("  psi       %s, %s loss, memory %d, %s; arch Adam lr %.2g, tau %.2g, sampler %s%n",
        RunJson.text(p.predictor()), p.weightedLoss() ? "weighted" : "mean squared", p.memoryCapacity(), refit, a.lr(),
        a.tau(), a.sampler() == Architect.Sampler.UNIFORM ? "uniform" : "around A");
    System.err.printf("  draws     %s%s; final genotype by %s%s%n", a.draw() == Architect.Draw.GENOTYPE ? "valid genotypes" : "an op on every edge",
        a.proposals() > 1 || a.mutations() > 0 ? String.format(", psi picks among %d draws and %d mutations", a.proposals(), a.mutations()) : "",
        c.finalGenotype().rule() == FinalRule.RANKED ? "ranking (" + c.finalGenotype().finalists() + " measured + " + c.finalGenotype().finalists()
            + " drawn finalists measured again)" : "the DARTS rule", c.method() == Method.EVOLUTION
            ? String.format("; evolution P=%d, S=%d", c.evolution().population(), c.evolution().tournament()) : "");
  }
}
