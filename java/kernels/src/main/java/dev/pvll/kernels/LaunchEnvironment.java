package dev.pvll.kernels;

import java.util.Map;

/**
 * Where this process stands in a job, as its launcher's environment says: rank, world size and
 * the rank among the job's processes on this host (which picks the local GPU). Read from Open
 * MPI's mpirun ({@code OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK}), a PMI launcher such as MPICH's
 * hydra ({@code PMI_RANK/PMI_SIZE}, {@code MPI_LOCALRANKID}) or Slurm's srun
 * ({@code SLURM_PROCID}, {@code SLURM_STEP_NUM_TASKS} or {@code SLURM_NTASKS},
 * {@code SLURM_LOCALID}), in that order of precedence (mpirun inside a Slurm allocation sees
 * both); with none of them, a single process.
 *
 * @param launcher which launcher's variables were read
 * @param rank this process's rank, 0 to size - 1
 * @param size the number of processes in the job
 * @param localRank this process's rank among those on its host
 * @param localSize the job's processes on this host ({@code OMPI_COMM_WORLD_LOCAL_SIZE},
 *     {@code MPI_LOCALNRANKS}, the first count of {@code SLURM_STEP_TASKS_PER_NODE}; size when the
 *     launcher does not say): how many share its cores
 */
public record LaunchEnvironment(Launcher launcher, int rank, int size, int localRank, int localSize) {
  /** The launchers whose environment pvll reads. */
  public enum Launcher {
    /** No launcher: a single process. */
    NONE("no launcher"),
    /** Open MPI's mpirun ({@code OMPI_COMM_WORLD_*}). */
    OPEN_MPI("Open MPI"),
    /** A PMI launcher such as MPICH's hydra ({@code PMI_RANK}, {@code PMI_SIZE}). */
    PMI("PMI"),
    /** Slurm's srun ({@code SLURM_PROCID}, ...). */
    SLURM("Slurm");

    private final String title;

    Launcher(String title) {
      this.title = title;
    }

    /**
     * A readable name, e.g. {@code Open MPI}.
     *
     * @return the name
     */
    public String title() {
      return title;
    }
  }

  /**
   * Checks the position.
   *
   * @param launcher which launcher's variables were read
   * @param rank this process's rank
   * @param size the number of processes
   * @param localRank this process's rank on its host
   * @param localSize the job's processes on this host
   * @throws IllegalArgumentException for a null launcher, size &lt; 1, a rank or local rank
   *     outside [0, size), or a local size outside [localRank + 1, size]
   */
  public LaunchEnvironment {
    if (launcher == null) throw new IllegalArgumentException("launcher must not be null");
    if (size < 1 || rank < 0 || rank >= size || localRank < 0 || localRank >= size || localSize < 1 || localSize > size
        || localRank >= localSize) {
      throw new IllegalArgumentException(launcher.title() + " environment: rank " + rank + " of " + size
          + " (local rank " + localRank + " of " + localSize + ") is not a valid position in a job");
    }
  }

  /**
   * A position whose launcher does not say how many of the job's processes share this host: all
   * of them, as far as it knows.
   *
   * @param launcher which launcher's variables were read
   * @param rank this process's rank
   * @param size the number of processes
   * @param localRank this process's rank on its host
   */
  public LaunchEnvironment(Launcher launcher, int rank, int size, int localRank) {
    this(launcher, rank, size, localRank, size);
  }

  /**
   * One process on its own: rank 0 of 1.
   *
   * @return the environment
   */
  public static LaunchEnvironment single() {
    return new LaunchEnvironment(Launcher.NONE, 0, 1, 0, 1);
  }

  /**
   * This process's launcher environment ({@link System#getenv()}).
   *
   * @return the environment
   * @throws IllegalArgumentException when a launcher variable is not a valid number or the rank
   *     does not fit the size
   */
  public static LaunchEnvironment detect() {
    return from(System.getenv());
  }

  /**
   * Reads a launcher environment from variables.
   *
   * @param env the variables
   * @return the environment, {@link #single()} when no launcher's variables are present
   * @throws IllegalArgumentException naming the variable when one is present but not a valid number,
   *     or when the rank does not fit the size
   */
  public static LaunchEnvironment from(Map<String, String> env) {
    if (env.containsKey("OMPI_COMM_WORLD_SIZE")) {
      int size = number(env, "OMPI_COMM_WORLD_SIZE", null);
      return new LaunchEnvironment(Launcher.OPEN_MPI, number(env, "OMPI_COMM_WORLD_RANK", null), size,
          number(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0), number(env, "OMPI_COMM_WORLD_LOCAL_SIZE", size));
    }
    if (env.containsKey("PMI_SIZE") || env.containsKey("PMI_RANK")) {
      int size = number(env, "PMI_SIZE", null);
      return new LaunchEnvironment(Launcher.PMI, number(env, "PMI_RANK", null), size, number(env, "MPI_LOCALRANKID", 0),
          number(env, "MPI_LOCALNRANKS", size));
    }
    if (env.containsKey("SLURM_PROCID")) {
      String sizeName = env.containsKey("SLURM_STEP_NUM_TASKS") ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS";
      int size = number(env, sizeName, 1);
      return new LaunchEnvironment(Launcher.SLURM, number(env, "SLURM_PROCID", null), size, number(env, "SLURM_LOCALID", 0),
          slurmTasksHere(env.get("SLURM_STEP_TASKS_PER_NODE"), size));
    }
    return single();
  }

  /**
   * True for the rank that writes logs, outputs and checkpoints.
   *
   * @return whether rank is 0
   */
  public boolean isRoot() {
    return rank == 0;
  }

  /**
   * One line for {@code pvll info}, e.g. {@code Open MPI: rank 1 of 2 (local rank 1 of 2 on this host)}.
   *
   * @return the description
   */
  public String describe() {
    if (launcher == Launcher.NONE) return "no launcher: a single process (rank 0 of 1)";
    return launcher.title() + ": rank " + rank + " of " + size + " (local rank " + localRank + " of " + localSize + " on this host)";
  }

  /** The first count of Slurm's tasks-per-node list ("2(x3),1": 2), or fallback when absent or unreadable. */
  private static int slurmTasksHere(String perNode, int fallback) {
    if (perNode == null) return fallback;
    int end = 0;
    while (end < perNode.length() && Character.isDigit(perNode.charAt(end))) end++;
    try {
      return Math.min(fallback, Math.max(1, Integer.parseInt(perNode.substring(0, end))));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static int number(Map<String, String> env, String name, Integer fallback) {
    String text = env.get(name);
    if (text == null) {
      if (fallback != null) return fallback;
      throw new IllegalArgumentException("launcher environment: " + name + " is not set");
    }
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("launcher environment: " + name + "='" + text + "' is not a number");
    }
  }
}
