package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host CPU as the kernels see it, and the thread count of the CPU kernels. Only
 * {@link #setThreads} and {@link #threads} need the native library.
 */
public final class CpuInfo {
  private CpuInfo() {}

  /**
   * Model name from /proc/cpuinfo, or os.arch where that is unreadable. Never throws.
   *
   * @return the model name
   */
  public static String model() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
      }
    } catch (Exception e) {
      // fall through
    }
    return System.getProperty("os.arch");
  }

  /**
   * Logical processors the JVM may use.
   *
   * @return the count
   */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * Instruction set the native CPU kernels were built for, e.g. {@code x86-64-v3 (AVX2, FMA)}.
   * Never throws.
   *
   * @return the instruction set, or why the native library does not load
   */
  public static String nativeIsa() {
    try {
      return CpuKernels.pvll_cpu_build_isa();
    } catch (Throwable t) {
      return "native library not loadable: " + t;
    }
  }

  /**
   * Threads the CPU kernels use (default: the hardware concurrency).
   *
   * @return the thread count
   */
  public static int threads() {
    return CpuKernels.pvll_get_num_threads();
  }

  /**
   * Sets the threads the CPU kernels use, for the whole process; results are bit-identical for
   * any count.
   *
   * @param threads at least 1
   * @throws KernelException with status {@link KernelException#INVALID_ARGUMENT} for threads &lt; 1
   */
  public static void setThreads(int threads) {
    Native.cpu("set_num_threads", CpuKernels.pvll_set_num_threads(threads));
  }
}
