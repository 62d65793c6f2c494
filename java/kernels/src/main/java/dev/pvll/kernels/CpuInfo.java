package dev.pvll.kernels;

import dev.pvll.kernels.bind.CpuKernels;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host CPU as the kernels see it. Never throws. */
public final class CpuInfo {
  private CpuInfo() {}

  /** Model name from /proc/cpuinfo, or os.arch where that is unreadable. */
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

  /** Logical processors the JVM may use. */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** Instruction set the native CPU kernels were built for, e.g. {@code x86-64-v3 (AVX2, FMA)}. */
  public static String nativeIsa() {
    try {
      return CpuKernels.pvll_cpu_build_isa();
    } catch (Throwable t) {
      return "native library not loadable: " + t;
    }
  }

  /** Threads the CPU kernels use. */
  public static int threads() {
    return CpuKernels.pvll_get_num_threads();
  }

  /** Sets the threads the CPU kernels use; results are bit-identical for any count. */
  public static void setThreads(int threads) {
    Native.cpu("set_num_threads", CpuKernels.pvll_set_num_threads(threads));
  }
}
