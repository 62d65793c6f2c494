package dev.pvll.search;

import dev.pvll.space.NetworkConfig;

/** Named starting points for a search; every field can then be overridden by a flag. */
public final class SearchPresets {
  private SearchPresets() {}

  /**
   * The default: sized to finish in under 10 minutes on a 2-core CPU, on the embedded
   * Fashion-MNIST subset (10,000 images, split half and half): 5 cells, C=8, 2,560 training and
   * 2,560 validation images per epoch, 20 warm-up architectures, 30 search steps.
   */
  public static SearchConfig cpu() {
    return new SearchConfig("pvll", "fashion-mnist-embedded", null, new NetworkConfig(5, 8, 4, 1, 10, 28, 3), 64, 2560, 2560,
        0.5, 0.025, 0.001, 0.9, 3e-4, 5, 0, 20, 30, 100, "lstm", true, 500, 0.95, 1e-3, 3e-4, 1e-3, 0.1, false, "eval", 1,
        "auto");
  }

  /**
   * The default's budget with the labels that carry information at this scale (measured in
   * benchmarks/RESULTS.md, "Label mode frozen"): one-shot labels on weights frozen after the
   * warm-up ({@code --label-mode frozen}), psi linear in the op counts ({@code --predictor
   * opcount}), architecture learning rate 0.1 and 150 search steps (a label costs one validation
   * pass, so the steps are cheap). Not METHOD.md's protocol: an option beside it.
   */
  public static SearchConfig oneShot() {
    return new SearchConfig("pvll", "fashion-mnist-embedded", null, new NetworkConfig(5, 8, 4, 1, 10, 28, 3), 64, 2560, 2560,
        0.5, 0.025, 0.001, 0.9, 3e-4, 5, 0, 20, 150, 100, "opcount", true, 500, 0.95, 1e-3, 0.1, 1e-3, 0.1, false, "frozen", 1,
        "auto");
  }

  /** METHOD.md's full protocol on CIFAR-10: 8 cells, C=16, N=100, T=100, whole half/half splits. */
  public static SearchConfig paper() {
    return new SearchConfig("pvll", "cifar10", null, NetworkConfig.cifar10Search(), 64, 0, 0, 0.5, 0.025, 0.001, 0.9, 3e-4, 5, 0,
        100, 100, 100, "lstm", true, 500, 0.95, 1e-3, 3e-4, 1e-3, 0.1, false, "eval", 1, "auto");
  }

  /** A few seconds on a CPU: for tests (kill-and-resume, end to end). */
  public static SearchConfig tiny() {
    return new SearchConfig("pvll", "fashion-mnist-embedded", null, new NetworkConfig(3, 4, 4, 1, 10, 28, 3), 32, 128, 128, 0.5,
        0.025, 0.001, 0.9, 3e-4, 5, 0, 3, 4, 100, "lstm", true, 50, 0.95, 1e-3, 3e-4, 1e-3, 0.1, false, "eval", 1, "cpu");
  }

  /** The preset of a name: cpu (also "default"), one-shot, paper, tiny. */
  public static SearchConfig byName(String name) {
    return switch (name.toLowerCase()) {
      case "cpu", "default" -> cpu();
      case "one-shot", "oneshot" -> oneShot();
      case "paper" -> paper();
      case "tiny" -> tiny();
      default -> throw new IllegalArgumentException("--preset must be default, one-shot, paper or tiny, got " + name);
    };
  }
}
