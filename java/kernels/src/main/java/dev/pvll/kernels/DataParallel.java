package dev.pvll.kernels;

import java.time.Duration;

/**
 * How a run is spread over the ranks of a data-parallel job: how many ranks and how long any wait
 * for them may take. Part of a run's configuration (config.json and every checkpoint): a
 * checkpoint knows the job size that wrote it, and every rank checks at start that the others
 * run the same configuration. A rank's own place in the job ({@link LaunchEnvironment}) is not
 * part of it.
 *
 * @param ranks processes of the job; 1 is a single process with no collectives
 * @param timeoutSeconds how long a wait for the other ranks (joining, each collective, leaving)
 *     may take before it fails with an error instead of hanging
 */
public record DataParallel(int ranks, double timeoutSeconds) {
  /** One process, the default timeout: what every run without a launcher is. */
  public static final DataParallel SINGLE = new DataParallel(1, CollectivesConfig.DEFAULT_TIMEOUT.toMillis() / 1000.0);

  /**
   * Checks the settings.
   *
   * @param ranks processes of the job
   * @param timeoutSeconds how long a wait for the other ranks may take
   * @throws IllegalArgumentException naming the setting ({@code parallel.ranks},
   *     {@code parallel.timeoutSeconds}) when ranks is below 1 or the timeout below 1 ms
   */
  public DataParallel {
    if (ranks < 1) throw new IllegalArgumentException("parallel.ranks must be >= 1, got " + ranks);
    if (!(timeoutSeconds >= 0.001) || Double.isInfinite(timeoutSeconds)) {
      throw new IllegalArgumentException("parallel.timeoutSeconds must be at least 0.001 and finite, got " + timeoutSeconds);
    }
  }

  /**
   * A job of ranks processes with the default timeout.
   *
   * @param ranks processes of the job
   * @return the settings
   */
  public static DataParallel of(int ranks) {
    return SINGLE.withRanks(ranks);
  }

  /**
   * The same with another number of ranks.
   *
   * @param r processes of the job
   * @return the settings
   */
  public DataParallel withRanks(int r) {
    return new DataParallel(r, timeoutSeconds);
  }

  /**
   * The same with another timeout.
   *
   * @param s seconds a wait for the other ranks may take
   * @return the settings
   */
  public DataParallel withTimeoutSeconds(double s) {
    return new DataParallel(ranks, s);
  }

  /**
   * Whether the run is one process.
   *
   * @return ranks == 1
   */
  public boolean isSingle() {
    return ranks == 1;
  }

  /**
   * The settings of the job's {@link Collectives}.
   *
   * @return the timeout as a collectives configuration
   */
  public CollectivesConfig collectives() {
    return new CollectivesConfig(Duration.ofNanos(Math.round(timeoutSeconds * 1e9)));
  }
}
