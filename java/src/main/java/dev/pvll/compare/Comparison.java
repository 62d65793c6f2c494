package dev.pvll.compare;

import dev.pvll.data.Dataset;
import dev.pvll.run.RunFolder;
import dev.pvll.run.RunJson;
import dev.pvll.run.SearchRun;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.SearchConfig;
import dev.pvll.search.SearchEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A fixed-landscape comparison of search methods, the way NAS benchmarks compare searchers: per
 * seed, the one-shot supernet is trained once (the frozen-label warm-up) and frozen; then every
 * method spends the same number of label evaluations on those same weights, each in a search run
 * folder of its own ({@code seed-S/METHOD}), started from the shared supernet
 * ({@code seed-S/supernet}) with {@link SearchEngine#onTrainedSupernet}. Every folder checkpoints
 * after each unit, so a killed comparison resumes where it stopped; a finished method run is read,
 * not rerun. The budget: the warm-up's N labels, T steps, and the final unit's re-measured
 * finalists (F for methods that rank only measured genotypes; 2F for PVLL, which also ranks A's
 * draws, so PVLL takes F fewer steps).
 */
public final class Comparison {
  /** The file that holds the plan. */
  public static final String PLAN = "compare.json";

  /**
   * What a comparison runs.
   *
   * @param base the search configuration of every method, the method and seed aside (frozen labels, genotype draws)
   * @param seeds the seeds, one landscape each
   * @param methods the methods compared (PVLL first: the tests pair the others with it)
   */
  public record Plan(SearchConfig base, List<Long> seeds, List<Method> methods) {
    public Plan {
      if (base.labelMode() != LabelMode.FROZEN) throw new IllegalArgumentException("a comparison needs frozen labels (a fixed landscape)");
      if (base.architecture().draw() != Architect.Draw.GENOTYPE) {
        throw new IllegalArgumentException("a comparison needs genotype draws: every method measures genotypes");
      }
      if (seeds.isEmpty() || methods.isEmpty()) throw new IllegalArgumentException("a comparison needs seeds and methods");
      if (methods.contains(Method.GDAS)) throw new IllegalArgumentException("gdas has no labels to compare on a fixed landscape");
      seeds = List.copyOf(seeds);
      methods = List.copyOf(methods);
    }

    /** The configuration of one method's run on one seed's landscape. */
    public SearchConfig config(long seed, Method method) {
      SearchConfig c = base.withSeed(seed).withMethod(method);
      if (method == Method.PVLL && c.finalGenotype().rule() == FinalRule.RANKED) {
        int steps = Math.max(0, c.schedule().steps() - c.finalGenotype().finalists());
        c = c.withSchedule(c.schedule().withLength(c.schedule().warmup(), steps));
      }
      return c;
    }
  }

  /** Progress: a line per stage, and each unit of the run in progress. */
  public interface Listener extends SearchRun.Listener {
    void stage(String what);
  }

  private Comparison() {}

  /** Starts a comparison in dir (which must not hold one), runs it to the end, writes its summary. */
  public static ComparisonSummary start(Plan plan, Dataset train, Path dir, Listener listener) throws IOException {
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(PLAN))) throw new IllegalArgumentException(dir + " already holds a comparison: resume it or choose another folder");
    Files.writeString(dir.resolve(PLAN), RunJson.PRETTY.toJson(plan));
    return run(plan, train, dir, listener);
  }

  /** The plan saved in dir. */
  public static Plan savedPlan(Path dir) throws IOException {
    Path file = dir.resolve(PLAN);
    if (!Files.exists(file)) throw new IllegalArgumentException(dir + ": no " + PLAN + " there (not a comparison)");
    try {
      return RunJson.COMPACT.fromJson(Files.readString(file), Plan.class);
    } catch (RuntimeException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Runs what remains of the comparison in dir with its saved plan. */
  public static ComparisonSummary resume(Path dir, Dataset train, Listener listener) throws IOException {
    return run(savedPlan(dir), train, dir, listener);
  }

  private static ComparisonSummary run(Plan plan, Dataset train, Path dir, Listener listener) throws IOException {
    for (long seed : plan.seeds()) {
      Path seedDir = dir.resolve("seed-" + seed);
      if (plan.methods().stream().allMatch(m -> finished(seedDir.resolve(folderName(m))))) continue;
      listener.stage("seed " + seed + ": the shared supernet (one-shot warm-up)");
      Path supernetDir = seedDir.resolve("supernet");
      SearchConfig shared = plan.config(seed, plan.methods().get(0));
      try (SearchRun supernet = RunFolder.hasCheckpoint(supernetDir) ? SearchRun.resume(supernetDir, train) : SearchRun.start(shared, train, supernetDir)) {
        supernet.runUntil(SearchEngine.Phase.WARMUP_LABEL, listener);
        for (Method m : plan.methods()) {
          Path methodDir = seedDir.resolve(folderName(m));
          if (finished(methodDir)) continue;
          listener.stage("seed " + seed + ": " + folderName(m));
          try (SearchRun run = RunFolder.hasCheckpoint(methodDir) ? SearchRun.resume(methodDir, train)
              : SearchRun.start(SearchEngine.onTrainedSupernet(plan.config(seed, m), train, supernet.engine()), methodDir)) {
            run.run(listener);
          }
        }
      }
    }
    ComparisonSummary summary = ComparisonSummary.of(plan, dir);
    summary.write(dir);
    return summary;
  }

  /** A method's folder name in a seed's folder: the method's text (pvll, random, evolution). */
  public static String folderName(Method m) {
    return RunJson.text(m);
  }

  private static boolean finished(Path methodDir) {
    return Files.exists(methodDir.resolve("summary.json"));
  }
}
