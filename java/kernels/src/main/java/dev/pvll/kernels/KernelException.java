package dev.pvll.kernels;

/**
 * A native kernel call failed. Carries the op name, the pvll status code and the native
 * message (for CUDA failures it includes the CUDA error string). The native code never exits
 * or aborts the process: every failure it detects arrives here.
 */
public class KernelException extends RuntimeException {
  /** Status: a shape, size or pointer that the op cannot take. */
  public static final int INVALID_ARGUMENT = 1;

  /** Status: a host or device allocation failed. */
  public static final int OUT_OF_MEMORY = 2;

  /** Status: a CUDA runtime call or kernel launch failed (the message has CUDA's error string). */
  public static final int CUDA = 3;

  /** Status: this build or this machine has no usable CUDA. */
  public static final int NO_CUDA = 4;

  /** Status: a cuDNN call failed. */
  public static final int CUDNN = 5;

  /** Status: a bug in the kernels; please report it with the message. */
  public static final int INTERNAL = 6;

  /** Status: a collective across ranks failed or timed out ({@link Collectives}). */
  public static final int COLLECTIVE = 7;

  /** Status: a library the call needs (MPI, NCCL) is missing from this build or machine. */
  public static final int UNAVAILABLE = 8;

  private static final long serialVersionUID = 1L;

  /** The op name. */
  private final String op;

  /** The native status code. */
  private final int status;

  /**
   * A failure of op with a native status.
   *
   * @param op the op name, e.g. {@code conv2d_forward}
   * @param status one of the status constants (other values are shown as numbers)
   * @param nativeMessage the native side's message
   */
  public KernelException(String op, int status, String nativeMessage) {
    super(op + " failed (" + statusName(status) + "): " + nativeMessage);
    this.op = op;
    this.status = status;
  }

  /**
   * The Java-level op name, e.g. {@code relu_forward}.
   *
   * @return the op name
   */
  public String op() {
    return op;
  }

  /**
   * The native status code (see the constants).
   *
   * @return the status
   */
  public int status() {
    return status;
  }

  static String statusName(int status) {
    return switch (status) {
      case INVALID_ARGUMENT -> "invalid argument";
      case OUT_OF_MEMORY -> "out of memory";
      case CUDA -> "CUDA error";
      case NO_CUDA -> "no CUDA";
      case CUDNN -> "cuDNN error";
      case INTERNAL -> "internal error";
      case COLLECTIVE -> "collective failed";
      case UNAVAILABLE -> "library unavailable";
      default -> "status " + status;
    };
  }
}
