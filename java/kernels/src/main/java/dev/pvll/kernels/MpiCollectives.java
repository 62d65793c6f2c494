package dev.pvll.kernels;

import dev.pvll.kernels.bind.CollectiveKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@link Collectives} over MPI (libpvll_mpi.so) for host memory and CPU tensors, plus NCCL for
 * tensors on the job's GPU. The native side serialises calls and bounds every wait.
 */
final class MpiCollectives implements Collectives {
  private final LaunchEnvironment launch;
  private final Device device;
  private final NcclCommunicator nccl;  // null on the CPU
  private boolean closed;

  private MpiCollectives(LaunchEnvironment launch, Device device, NcclCommunicator nccl) {
    this.launch = launch;
    this.device = device;
    this.nccl = nccl;
  }

  static MpiCollectives join(LaunchEnvironment launch, Device device, CollectivesConfig config) {
    if (launch == null || device == null || config == null) {
      throw new IllegalArgumentException("Collectives.open: launch, device and config must not be null");
    }
    String op = "collectives_init";
    MpiLibrary.require(op);
    int[] rank = new int[1], size = new int[1], localRank = new int[1];
    MpiLibrary.check(op, CollectiveKernels.pvll_coll_init(config.timeoutSeconds(), rank, size, localRank));
    if (rank[0] != launch.rank() || size[0] != launch.size()) {
      String message = launch.launcher().title() + " started this process as rank " + launch.rank() + " of "
          + launch.size() + ", but MPI sees rank " + rank[0] + " of " + size[0]
          + ": this MPI cannot talk to the launcher (under Slurm use srun --mpi=pmix, or mpirun inside the allocation)";
      CollectiveKernels.pvll_coll_abort(message);
      throw new KernelException(op, KernelException.UNAVAILABLE, message);
    }
    MpiCollectives joined = new MpiCollectives(launch, device, null);
    if (device.isCpu()) return joined;
    try {
      return new MpiCollectives(launch, device, NcclCommunicator.create(device, launch.rank(), launch.size(),
          joined.ncclIdFromRoot(), config));
    } catch (RuntimeException e) {
      joined.abort("NCCL could not start: " + e.getMessage());
      throw e;
    }
  }

  /** Rank 0's NCCL unique id on every rank, or rank 0's reason why it has none, thrown on every rank. */
  private byte[] ncclIdFromRoot() {
    byte[] message = null;
    if (launch.isRoot()) {
      try {
        byte[] id = NcclCommunicator.uniqueId();
        message = new byte[1 + id.length];
        message[0] = 1;
        System.arraycopy(id, 0, message, 1, id.length);
      } catch (KernelException e) {
        byte[] text = e.getMessage().getBytes(StandardCharsets.UTF_8);
        message = new byte[1 + text.length];
        System.arraycopy(text, 0, message, 1, text.length);
      }
    }
    byte[] received = broadcast(message, 0);
    if (received.length == 0 || received[0] != 1) {
      throw new KernelException("nccl_unique_id", KernelException.UNAVAILABLE, "rank 0 could not make an NCCL id: "
          + new String(received, 1, Math.max(0, received.length - 1), StandardCharsets.UTF_8));
    }
    byte[] id = new byte[NcclCommunicator.ID_BYTES];
    System.arraycopy(received, 1, id, 0, id.length);
    return id;
  }

  @Override
  public int rank() {
    return launch.rank();
  }

  @Override
  public int size() {
    return launch.size();
  }

  @Override
  public int localRank() {
    return launch.localRank();
  }

  @Override
  public String describe() {
    String gpu = "";
    if (nccl != null) {
      int v = NcclCommunicator.version();
      gpu = "; NCCL " + v / 10000 + "." + v / 100 % 100 + "." + v % 100 + " on " + device;
    }
    return launch.describe() + "; " + MpiLibrary.status() + gpu;
  }

  @Override
  public synchronized void allReduceSum(Tensor tensor) {
    String op = "all_reduce_sum";
    if (tensor == null) throw new IllegalArgumentException(op + ": tensor must not be null");
    checkOpen(op);
    tensor.checkOpen();
    if (tensor.device().isCpu()) {
      MpiLibrary.check(op, CollectiveKernels.pvll_coll_all_reduce_sum_float(tensor.address(), tensor.size()));
    } else {
      gpu(op, tensor.device()).allReduceSum(tensor);
    }
  }

  @Override
  public synchronized void allReduceSum(NativeDoubles values) {
    String op = "all_reduce_sum";
    if (values == null) throw new IllegalArgumentException(op + ": values must not be null");
    checkOpen(op);
    if (values.device().isCpu()) {
      MpiLibrary.check(op, CollectiveKernels.pvll_coll_all_reduce_sum_double(values.address(), values.length()));
    } else {
      gpu(op, values.device()).allReduceSum(values);
    }
  }

  @Override
  public synchronized void allReduceSum(double[] values) {
    String op = "all_reduce_sum";
    if (values == null) throw new IllegalArgumentException(op + ": values must not be null");
    checkOpen(op);
    MpiLibrary.check(op, CollectiveKernels.pvll_coll_all_reduce_sum_double(values, values.length));
  }

  @Override
  public synchronized void broadcast(Tensor tensor, int root) {
    String op = "broadcast";
    if (tensor == null) throw new IllegalArgumentException(op + ": tensor must not be null");
    checkOpen(op);
    checkRoot(op, root);
    tensor.checkOpen();
    if (tensor.device().isCpu()) {
      MpiLibrary.check(op, CollectiveKernels.pvll_coll_broadcast(tensor.address(), tensor.size() * Float.BYTES, root));
    } else {
      gpu(op, tensor.device()).broadcast(tensor, root);
    }
  }

  @Override
  public synchronized byte[] broadcast(byte[] bytes, int root) {
    String op = "broadcast";
    checkOpen(op);
    checkRoot(op, root);
    if (rank() == root && bytes == null) throw new IllegalArgumentException(op + ": root's bytes must not be null");
    byte[] length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(rank() == root ? bytes.length : 0).array();
    MpiLibrary.check(op, CollectiveKernels.pvll_coll_broadcast(length, length.length, root));
    long n = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 0 || n > Integer.MAX_VALUE - 16) throw new IllegalStateException(op + ": root announced " + n + " bytes");
    byte[] out = rank() == root ? bytes.clone() : new byte[(int) n];
    if (n > 0) MpiLibrary.check(op, CollectiveKernels.pvll_coll_broadcast(out, n, root));
    return out;
  }

  @Override
  public synchronized void barrier() {
    String op = "barrier";
    checkOpen(op);
    MpiLibrary.check(op, CollectiveKernels.pvll_coll_barrier());
  }

  @Override
  public synchronized void waitForDevice() {
    checkOpen("wait_for_device");
    if (nccl != null) nccl.await();
  }

  @Override
  public synchronized void abort(String reason) {
    if (nccl != null) {
      try {
        nccl.abort();
      } catch (KernelException e) {
        // already broken: nothing more to end
      }
    }
    CollectiveKernels.pvll_coll_abort(reason == null ? "no reason given" : reason);
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      if (nccl != null) nccl.close();
    } finally {
      MpiLibrary.check("collectives_finalize", CollectiveKernels.pvll_coll_finalize());
    }
  }

  @Override
  public String toString() {
    return "MPI collectives, " + launch.describe() + (closed ? " (closed)" : "");
  }

  private void checkOpen(String op) {
    if (closed) throw new IllegalStateException(op + ": the collectives were closed");
  }

  private void checkRoot(String op, int root) {
    if (root < 0 || root >= size()) throw new IllegalArgumentException(op + ": root " + root + " is not a rank of " + size());
  }

  private NcclCommunicator gpu(String op, Device where) {
    if (nccl == null || !where.equals(device)) {
      throw new IllegalArgumentException(op + ": data on " + where + ", but this job's collectives run on " + device
          + (nccl == null ? " (MPI moves host memory only)" : ""));
    }
    return nccl;
  }
}
