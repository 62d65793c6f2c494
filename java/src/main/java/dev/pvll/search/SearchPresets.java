package dev.pvll.search;

import dev.pvll.space.NetworkConfig;
import dev.pvll.supernet.StepLaunch;

/** Named starting points for a search, each written once; every setting can then be changed by a wither (or a flag). */
public final class SearchPresets {
  private SearchPresets() {}

  /** The preset the name "default" stands for (what {@code pvll search} runs without --preset). */
  public static final String DEFAULT = "one-shot";

  /** The names {@link #byName} knows. */
  public static final String NAMES = "default (one-shot), one-shot, faithful, paper or tiny";

  /** Validation images per label in {@link #faithful}: METHOD.md labels on the whole split; this budget on about half of it. */
  public static final int FAITHFUL_VALIDATION_IMAGES = 2560;

  /** Validation images per label in {@link #oneShot}: the embedded subset's validation half, 78 whole batches of 64. */
  public static final int ONE_SHOT_VALIDATION_IMAGES = 4992;

  /** METHOD.md's full protocol on CIFAR-10: 8 cells, C=16, N=100, T=100, whole half/half splits. */
  public static SearchConfig paper() {
    return new SearchConfig(Method.PVLL,
        new SearchConfig.Data("cifar10", null, 64, 0, 0, 0.5, 0),
        NetworkConfig.cifar10Search(),
        new SearchConfig.Schedule(100, 100, 0.025, 0.001, 0.9, 3e-4, 5),
        new SearchConfig.Psi(PredictorKind.LSTM, true, 100, 500, 0.95, 1e-3),
        new SearchConfig.ArchitectureStep(3e-4, 1e-3, 0.1, Architect.Sampler.AROUND_A, Architect.Draw.EVERY_EDGE, 1, 0),
        SearchConfig.FinalGenotype.dartsRule(), SearchConfig.Evolution.defaults(),
        LabelMode.EVAL, StepLaunch.AUTO, 1, "auto");
  }

  /**
   * METHOD.md's method, faithful, sized to finish in under 10 minutes on a 2-core CPU, on the
   * embedded Fashion-MNIST subset (10,000 images, split half and half): 5 cells, C=8, 2,560
   * training and 2,560 validation images per epoch, 20 warm-up architectures, 30 search steps.
   * The default until the fixed-landscape comparison and the retraining showed {@link #oneShot}
   * better at this budget (benchmarks/RESULTS.md "Search efficiency").
   */
  public static SearchConfig faithful() {
    SearchConfig p = paper();
    return p.withData(new SearchConfig.Data("fashion-mnist-embedded", null, 64, 2560, FAITHFUL_VALIDATION_IMAGES, 0.5, 0))
        .withNetwork(new NetworkConfig(5, 8, 4, 1, 10, 28, 3))
        .withSchedule(p.schedule().withLength(20, 30));
  }

  /**
   * The default: {@link #faithful}'s network, training data and warm-up, with what the
   * fixed-landscape comparison ({@code pvll compare}) runs as PVLL (ours, not METHOD.md's
   * protocol; README "Faithful and ours"): one-shot labels on weights frozen after the warm-up
   * ({@link LabelMode#FROZEN}: a label costs one validation pass, so 150 steps are cheap), each on
   * the whole validation half of the embedded subset (4,992 images, 78 batches of 64: twice
   * {@link #faithful}'s 2,560, so the labels' noise is lower); every draw a valid genotype
   * ({@link Architect.Draw#GENOTYPE}), so what is measured is what can be returned; psi a kernel
   * ridge regression on H and the ops' attributes, fitted in closed form ({@link PredictorKind#KERNEL})
   * over a memory of 200; each step psi ranks 10 draws from A and 10 single mutations of the
   * memory's best measured genotypes and the lowest not yet measured is labelled, while A takes
   * METHOD.md's step through psi at its best draw (architecture learning rate 0.1); the returned
   * genotype the best of the memory's measured ones and psi's best draws from A, measured again
   * ({@link FinalRule#RANKED}). Each choice is the best of those tried on the same landscapes
   * (benchmarks/RESULTS.md "Search efficiency", "Less noisy labels" and "The default becomes the
   * kernel psi").
   */
  public static SearchConfig oneShot() {
    SearchConfig c = faithful();
    return c.withLabelMode(LabelMode.FROZEN)
        .withData(c.data().withValidationImages(ONE_SHOT_VALIDATION_IMAGES))
        .withPsi(c.psi().withPredictor(PredictorKind.KERNEL).withMemoryCapacity(200))
        .withArchitecture(c.architecture().withLr(0.1).withDraw(Architect.Draw.GENOTYPE).withProposals(10).withMutations(10))
        .withFinalGenotype(c.finalGenotype().withRule(FinalRule.RANKED))
        .withSchedule(c.schedule().withLength(20, 150));
  }

  /** A few seconds on a CPU, {@link #faithful}'s method: for tests (kill-and-resume, end to end). */
  public static SearchConfig tiny() {
    SearchConfig c = faithful();
    return c.withData(new SearchConfig.Data("fashion-mnist-embedded", null, 32, 128, 128, 0.5, 0))
        .withNetwork(new NetworkConfig(3, 4, 4, 1, 10, 28, 3))
        .withSchedule(c.schedule().withLength(3, 4))
        .withPsi(c.psi().withPasses(50))
        .withDevice("cpu");
  }

  /** The preset of a name: default (the same as one-shot), one-shot, faithful, paper, tiny. */
  public static SearchConfig byName(String name) {
    return switch (name.toLowerCase()) {
      case "default" -> byName(DEFAULT);
      case "one-shot", "oneshot" -> oneShot();
      case "faithful" -> faithful();
      case "paper" -> paper();
      case "tiny" -> tiny();
      default -> throw new InvalidSettingException("%s must be " + NAMES + ", got " + name, "preset");
    };
  }
}
