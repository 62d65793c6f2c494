package dev.pvll.cli;

import dev.pvll.compare.Comparison;
import dev.pvll.compare.ComparisonSummary;
import dev.pvll.data.Dataset;
import dev.pvll.run.RunJson;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.PredictorKind;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchPresets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pvll compare}: search methods on fixed one-shot landscapes, one per seed ({@link Comparison}). */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Compare search methods on fixed landscapes: per seed the one-shot supernet is trained once and frozen, then each "
        + "method spends the same number of label evaluations on it. Writes comparison.json and comparison.md; resumable; "
        + "pvll report DIR draws the anytime curves."})
final class CompareCommand implements Callable<Integer> {
  @Option(names = "--seeds", description = "seeds, e.g. 1-10 or 1,2,5 (default 1-10)") String seeds = "1-10";
  @Option(names = "--methods", split = ",", description = "methods, the first paired against the others (default pvll,random,evolution)")
  List<String> methods = List.of("pvll", "random", "evolution");
  @Option(names = "--preset", description = "the search preset every method starts from (default one-shot); labels are frozen and "
      + "draws are genotypes whatever it says") String preset = "one-shot";
  @Option(names = "--out", description = "output folder (default: a new folder under runs/)") Path out;
  @Option(names = "--resume", paramLabel = "DIR", description = "continue the comparison in DIR") Path resume;
  @Option(names = "--warmup", description = "warm-up population N") Integer warmup;
  @Option(names = "--steps", description = "search steps T") Integer steps;
  @Option(names = "--predictor", description = "psi: lstm, mlp, opcount, linear, ridge or kernel") String predictor;
  @Option(names = "--arch-lr", description = "architecture Adam learning rate") Double archLr;
  @Option(names = "--val-images", description = "validation images per label (0 = the whole split; the preset's count by default: "
      + SearchPresets.ONE_SHOT_VALIDATION_IMAGES + " in one-shot)") Integer valImages;
  @Option(names = "--memory", description = "psi's memory capacity") Integer memory;
  @Option(names = "--proposals", description = "PVLL: draws from A per step, the one psi predicts lowest is labelled") Integer proposals;
  @Option(names = "--mutations", description = "PVLL: mutations of the memory's best measured genotypes psi also ranks each step") Integer mutations;
  @Option(names = "--finalists", description = "final rule: measured (and, for PVLL, drawn) genotypes measured again, of each (2)") Integer finalists;
  @Option(names = "--population", description = "evolution: population P (20)") Integer population;
  @Option(names = "--tournament", description = "evolution: tournament size S (5)") Integer tournament;
  @Option(names = "--device", description = "cpu, cuda:N or auto") String device;

  @Override
  public Integer call() throws Exception {
    Job.requireSingle("pvll compare");
    ProgressBar bar = new ProgressBar(System.err);
    Comparison.Listener listener = new Comparison.Listener() {
      @Override
      public void stage(String what) {
        bar.done();
        System.err.println(what);
      }

      @Override
      public void unitDone(String phase, int unit, int totalUnits, com.google.gson.JsonObject logLine, double elapsedSeconds) {
        bar.unit(phase, unit, totalUnits, logLine, elapsedSeconds);
      }
    };
    ComparisonSummary summary;
    if (resume != null) {
      if (out != null) throw new IllegalArgumentException("--resume and --out cannot be used together: the comparison continues in its own folder");
      Comparison.Plan plan = Comparison.savedPlan(resume);
      System.err.println("resuming " + resume);
      summary = Comparison.resume(resume, DataLoading.searchSet(plan.base().data()), listener);
    } else {
      Comparison.Plan plan = SearchCommand.withFlagNames(this::plan);
      Path dir = out != null ? out : Path.of("runs", "compare-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      System.err.printf("pvll compare (%s preset) -> %s: %s on %d seeds, %d label evaluations each per seed%n", preset, dir,
          String.join(", ", methods), plan.seeds().size(), plan.base().evaluations() + plan.base().finalGenotype().finalists());
      summary = Comparison.start(plan, DataLoading.searchSet(plan.base().data()), dir, listener);
      out = dir;
    }
    bar.done();
    System.out.print(summary.toMarkdown());
    System.out.println("output " + (resume != null ? resume : out));
    return 0;
  }

  /** The comparison these flags ask for (flag errors name the flag only through {@link SearchCommand#withFlagNames}). */
  Comparison.Plan plan() {
    SearchConfig b = SearchPresets.byName(preset);
    if (valImages != null) b = b.withData(b.data().withValidationImages(valImages));
    b = b.withLabelMode(LabelMode.FROZEN).withArchitecture(b.architecture().withDraw(Architect.Draw.GENOTYPE));
    SearchConfig.FinalGenotype fin = b.finalGenotype().withRule(FinalRule.RANKED);
    if (finalists != null) fin = fin.withFinalists(finalists);
    b = b.withFinalGenotype(fin);
    b = b.withSchedule(b.schedule().withLength(warmup != null ? warmup : b.schedule().warmup(), steps != null ? steps : b.schedule().steps()));
    if (predictor != null) b = b.withPsi(b.psi().withPredictor(parse(PredictorKind.class, predictor, "--predictor")));
    if (archLr != null) b = b.withArchitecture(b.architecture().withLr(archLr));
    if (memory != null) b = b.withPsi(b.psi().withMemoryCapacity(memory));
    if (proposals != null) b = b.withArchitecture(b.architecture().withProposals(proposals));
    if (mutations != null) b = b.withArchitecture(b.architecture().withMutations(mutations));
    if (population != null || tournament != null) {
      b = b.withEvolution(new SearchConfig.Evolution(population != null ? population : b.evolution().population(),
          tournament != null ? tournament : b.evolution().tournament()));
    }
    if (device != null) b = b.withDevice(device);
    List<Method> ms = new ArrayList<>();
    for (String m : methods) ms.add(parse(Method.class, m, "--methods"));
    return new Comparison.Plan(b, seedList(seeds), ms);
  }

  /** "1-10" or "1,2,5". */
  static List<Long> seedList(String text) {
    List<Long> out = new ArrayList<>();
    try {
      for (String part : text.split(",")) {
        String p = part.trim();
        int dash = p.indexOf('-', 1);
        if (dash > 0) {
          long from = Long.parseLong(p.substring(0, dash).trim()), to = Long.parseLong(p.substring(dash + 1).trim());
          if (to < from || to - from > 1000) throw new IllegalArgumentException("--seeds: range " + p + " is empty or too long");
          for (long s = from; s <= to; s++) out.add(s);
        } else {
          out.add(Long.parseLong(p));
        }
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--seeds: '" + text + "' is not a list of seeds like 1-10 or 1,2,5");
    }
    if (out.stream().distinct().count() != out.size()) throw new IllegalArgumentException("--seeds: '" + text + "' repeats a seed");
    return out;
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String value, String flag) {
    try {
      return RunJson.parse(type, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
  }
}
