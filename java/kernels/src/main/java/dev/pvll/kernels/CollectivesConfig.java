package dev.pvll.kernels;

import java.time.Duration;

/**
 * Settings of {@link Collectives}.
 *
 * @param timeout how long any wait for the other ranks (joining, each collective, leaving) may
 *     take before it fails with an error instead of hanging; at least a millisecond
 */
public record CollectivesConfig(Duration timeout) {
  /** The default timeout: 120 s, far above any healthy all-reduce, short enough to end a dead job. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  /** The defaults. */
  public static final CollectivesConfig DEFAULT = new CollectivesConfig(DEFAULT_TIMEOUT);

  /**
   * Checks the timeout.
   *
   * @param timeout the timeout, at least a millisecond
   * @throws IllegalArgumentException for a null timeout or one under a millisecond
   */
  public CollectivesConfig {
    if (timeout == null || timeout.toMillis() < 1) {
      throw new IllegalArgumentException("collectives timeout must be at least 1 ms, got " + timeout);
    }
  }

  /**
   * A copy with another timeout.
   *
   * @param timeout the new timeout, at least a millisecond
   * @return the new settings
   */
  public CollectivesConfig withTimeout(Duration timeout) {
    return new CollectivesConfig(timeout);
  }

  /** The timeout in seconds, as the native side takes it. */
  double timeoutSeconds() {
    return timeout.toNanos() / 1e9;
  }
}
