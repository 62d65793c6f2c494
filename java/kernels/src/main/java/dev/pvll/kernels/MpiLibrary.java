package dev.pvll.kernels;

import dev.pvll.kernels.bind.CollectiveKernels;

/**
 * Loads the MPI binding (libpvll_mpi.so, and with it libmpi) on first use and turns what can go
 * wrong into one-line errors: a machine without the MPI runtime, a stub build without MPI.
 */
final class MpiLibrary {
  private static final Object LOCK = new Object();
  private static boolean tried;
  private static String loadFailure;

  private MpiLibrary() {}

  /**
   * Loads the binding.
   *
   * @throws KernelException with status {@link KernelException#UNAVAILABLE} and the reason when it cannot
   */
  static void require(String op) {
    String failure;
    synchronized (LOCK) {
      if (!tried) {
        tried = true;
        try {
          Class.forName(CollectiveKernels.class.getName(), true, MpiLibrary.class.getClassLoader());
        } catch (Throwable e) {  // UnsatisfiedLinkError inside ExceptionInInitializerError, or a later NoClassDefFoundError
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          loadFailure = "cannot load libpvll_mpi (the MPI collectives): " + firstLine(cause.getMessage())
              + "; this machine probably lacks the MPI runtime pvll was built with (Debian: apt-get install openmpi-bin)";
        }
      }
      failure = loadFailure;
    }
    if (failure != null) throw new KernelException(op, KernelException.UNAVAILABLE, failure);
  }

  /** How the library was built, or why it is not usable here. Never throws. */
  static String status() {
    try {
      require("mpi_status");
      return CollectiveKernels.pvll_coll_build_status();
    } catch (KernelException e) {
      return "unavailable: " + e.getMessage();
    }
  }

  /** Throws the library's message for a non-zero status. */
  static void check(String op, int status) {
    if (status != 0) throw new KernelException(op, status, CollectiveKernels.pvll_coll_last_error());
  }

  private static String firstLine(String text) {
    if (text == null) return "no message";
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }
}
