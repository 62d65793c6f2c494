package dev.pvll.kernels;

/**
 * Collectives across the ranks (processes) of one data-parallel job: all-reduce (sum) in place,
 * broadcast, barrier. Two implementations: {@link #single()}, a world of one process where every
 * operation returns at once and leaves its data as it is, and one over MPI for jobs started by a
 * launcher ({@link #open}), which moves CPU tensors and host arrays over MPI and, when the job's
 * device is a GPU, tensors on it through NCCL on the calling thread's current CUDA stream.
 *
 * <p>Every rank must call the same operations in the same order with the same sizes. No wait is
 * unbounded: a rank that died or stopped calling makes the others' next operation fail within the
 * configured timeout ({@link CollectivesConfig}) with a {@link KernelException} of status
 * {@link KernelException#COLLECTIVE} that names the operation, its size and the time waited; the
 * collectives are then unusable and the process should exit with the error (the launcher then
 * ends the other ranks). Native code never ends the process.
 *
 * <p>Arguments are checked before any native call. Closing leaves the job (MPI_Finalize, which
 * waits for the other ranks within the timeout); closing twice is harmless; MPI allows a process
 * to join one job only once.
 */
public interface Collectives extends AutoCloseable {
  /**
   * This process's rank.
   *
   * @return 0 to {@link #size()} - 1
   */
  int rank();

  /**
   * The number of ranks.
   *
   * @return at least 1
   */
  int size();

  /**
   * This rank's index among the ranks on its host (the GPU it should use).
   *
   * @return the local rank
   */
  int localRank();

  /**
   * True on rank 0, the rank that writes logs, outputs and checkpoints.
   *
   * @return whether this is rank 0
   */
  default boolean isRoot() {
    return rank() == 0;
  }

  /**
   * One line for {@code pvll info}: the back end, rank, size and library versions.
   *
   * @return the description
   */
  String describe();

  /**
   * Replaces every element of tensor by its sum over the ranks. A CPU tensor goes over MPI; a
   * tensor on the job's GPU through NCCL, enqueued on this thread's current stream (the result
   * is there for the ops that follow on that stream; {@link #waitForDevice()} waits for it).
   *
   * <p>As {@code torch.distributed.all_reduce(tensor, op=SUM)}.
   *
   * @param tensor the values, replaced in place
   * @throws IllegalArgumentException for a null tensor or one on another GPU than the job's
   * @throws IllegalStateException when the tensor or the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  void allReduceSum(Tensor tensor);

  /**
   * The same for a double vector (CPU: MPI; the job's GPU: NCCL).
   *
   * @param values the values, replaced in place
   * @throws IllegalArgumentException for null values or values on another GPU than the job's
   * @throws IllegalStateException when the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  void allReduceSum(NativeDoubles values);

  /**
   * The same for a Java array of doubles (small host values such as loss sums and counts).
   *
   * @param values the values, replaced in place
   * @throws IllegalArgumentException for null values
   * @throws IllegalStateException when the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  void allReduceSum(double[] values);

  /**
   * Every rank's tensor becomes root's (same devices as {@link #allReduceSum(Tensor)}), as
   * {@code torch.distributed.broadcast(tensor, root)}.
   *
   * @param tensor the values, replaced on every rank but root
   * @param root the rank whose values are sent
   * @throws IllegalArgumentException for a null tensor, one on another GPU than the job's, or
   *     a root that is not a rank
   * @throws IllegalStateException when the tensor or the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  void broadcast(Tensor tensor, int root);

  /**
   * Root's bytes, on every rank: root passes its array, the others anything (null allowed); the
   * length travels too, so ranks need not know it.
   *
   * @param bytes root's bytes (not null on root); ignored elsewhere
   * @param root the rank whose bytes are sent
   * @return a copy of root's bytes
   * @throws IllegalArgumentException for a root that is not a rank, or null bytes on root
   * @throws IllegalStateException when the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  byte[] broadcast(byte[] bytes, int root);

  /**
   * Returns when every rank has called it.
   *
   * @throws IllegalStateException when the collectives are closed
   * @throws KernelException with status {@link KernelException#COLLECTIVE} when the operation
   *     fails or times out
   */
  void barrier();

  /**
   * Waits, within the timeout, for the collectives enqueued on this thread's current CUDA stream
   * (NCCL); a no-op without a GPU. On timeout the GPU communicator is aborted and this throws.
   */
  void waitForDevice();

  /**
   * Gives up on the job: later operations fail at once with reason, and {@link #close()} does not
   * wait for the other ranks. Never ends the process; the caller exits with its error.
   *
   * @param reason why, for the other operations' errors
   */
  void abort(String reason);

  /** Leaves the job (see the class comment). */
  @Override
  void close();

  /**
   * A world of one process: rank 0 of 1, every operation a no-op after checking its
   * arguments. Needs no MPI.
   *
   * @return the shared instance
   */
  static Collectives single() {
    return SingleProcess.INSTANCE;
  }

  /**
   * The collectives of the job this process was launched in: {@link #single()} when launch has
   * one rank, else MPI (joined now: waits for every rank, within the timeout), plus an NCCL
   * communicator on device when it is a GPU (its id made by rank 0 and broadcast over MPI).
   *
   * @param launch this process's place in the job ({@link LaunchEnvironment#detect()})
   * @param device the device the job computes on: {@code cpu}, or this rank's GPU
   * @param config the timeout
   * @return the collectives, to close when the job ends
   * @throws KernelException with status {@link KernelException#UNAVAILABLE} when this pvll was
   *     built without MPI, the MPI runtime or NCCL is missing, or MPI sees another world than the
   *     launcher announced (an MPI that cannot talk to this launcher, e.g. srun without
   *     {@code --mpi=pmix}); {@link KernelException#COLLECTIVE} when joining fails or times out
   */
  static Collectives open(LaunchEnvironment launch, Device device, CollectivesConfig config) {
    if (launch.size() == 1) return single();
    return MpiCollectives.join(launch, device, config);
  }

  /**
   * How this pvll's MPI collectives were built ("MPI: Open MPI v4.1.4, ..." or why there are
   * none: a stub build, or libmpi missing on this machine), for {@code pvll info}. Never throws.
   *
   * @return the status line
   */
  static String mpiStatus() {
    return MpiLibrary.status();
  }
}
