package dev.pvll.supernet;

/**
 * SGD settings of network training (METHOD.md Eq. 5): momentum 0.9, weight decay 3e-4,
 * gradient-norm clip 5; the learning rate comes per step from the schedule.
 */
public record SgdConfig(float momentum, float weightDecay, float gradClip) {
  public static final SgdConfig DARTS = new SgdConfig(0.9f, 3e-4f, 5f);

  public SgdConfig {
    if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    if (!(gradClip > 0)) throw new IllegalArgumentException("gradient clip must be > 0, got " + gradClip);
  }
}
