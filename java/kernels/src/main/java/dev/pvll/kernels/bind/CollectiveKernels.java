package dev.pvll.kernels.bind;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Raw JNI binding of libpvll_mpi.so (native/include/pvll_collectives.h): collectives across the
 * ranks of an MPI job, or a stub that says the build had no MPI. Loading it loads libmpi (a
 * machine without the MPI runtime fails here with the loader's message), so nothing touches this
 * class unless a job has several ranks. Buffers travel as {@code long} addresses or Java arrays;
 * every function returns a pvll status. Use {@code dev.pvll.kernels.Collectives} instead.
 */
@Platform(include = "pvll_collectives.h", link = "pvll_mpi")
public final class CollectiveKernels {
  static {
    Loader.load();
  }

  private CollectiveKernels() {}

  public static native @Cast("const char*") String pvll_coll_last_error();

  public static native @Cast("const char*") String pvll_coll_build_status();

  public static native int pvll_coll_init(double timeoutSeconds, int[] rank, int[] size, int[] localRank);

  public static native int pvll_coll_set_timeout(double seconds);

  public static native int pvll_coll_all_reduce_sum_float(@Cast("float*") long buffer, long count);

  public static native int pvll_coll_all_reduce_sum_double(@Cast("double*") long buffer, long count);

  public static native int pvll_coll_all_reduce_sum_double(double[] buffer, long count);

  public static native int pvll_coll_broadcast(@Cast("void*") long buffer, long bytes, int root);

  public static native int pvll_coll_broadcast(@Cast("void*") byte[] buffer, long bytes, int root);

  public static native int pvll_coll_barrier();

  public static native int pvll_coll_abort(@Cast("const char*") String reason);

  public static native int pvll_coll_finalize();
}
