package dev.pvll.kernels;

/**
 * A native kernel call failed. Carries the op name, the pvll status code and the native
 * message (for CUDA failures it includes the CUDA error string).
 */
public class KernelException extends RuntimeException {
  /** Status codes of native/include/pvll_common.h. */
  public static final int INVALID_ARGUMENT = 1, OUT_OF_MEMORY = 2, CUDA = 3, NO_CUDA = 4, CUDNN = 5, INTERNAL = 6,
      COLLECTIVE = 7, UNAVAILABLE = 8;

  private final String op;
  private final int status;

  public KernelException(String op, int status, String nativeMessage) {
    super(op + " failed (" + statusName(status) + "): " + nativeMessage);
    this.op = op;
    this.status = status;
  }

  /** The Java-level op name, e.g. {@code relu_forward}. */
  public String op() {
    return op;
  }

  /** The native status code (see the constants). */
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
