package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaKernels;
import dev.pvll.kernels.bind.CudaLibrary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Loader;

/**
 * What CUDA this process can use, found once and cached: every GPU with its properties, the
 * driver and runtime versions, whether cuDNN loads, or the exact reason there is no GPU.
 * {@link #probe()} never throws. With {@code PVLL_CUDA=emulated} (or {@code -Dpvll.cuda=emulated})
 * the one GPU is the emulated CUDA device of kernels/dev/emu, named {@code cuda:0 (emulated)}, and
 * nothing loads the real CUDA runtime.
 */
public final class CudaStatus {
  /**
   * One usable GPU.
   *
   * @param index the CUDA ordinal
   * @param name the device name ({@code cuda:N (emulated), ...} on the emulated device)
   * @param totalMemory memory in bytes
   * @param major compute capability, major
   * @param minor compute capability, minor
   * @param multiprocessors number of streaming multiprocessors
   */
  public record Gpu(int index, String name, long totalMemory, int major, int minor, int multiprocessors) {
    /**
     * Compute capability as {@code major.minor}.
     *
     * @return e.g. {@code 9.0}
     */
    public String computeCapability() {
      return major + "." + minor;
    }
  }

  private static volatile CudaStatus cached;

  private final List<Gpu> gpus;
  private final String reason;
  private final int driverVersion;
  private final int runtimeVersion;
  private final String buildStatus;
  private final String cudnn;
  private final boolean emulated;

  private CudaStatus(List<Gpu> gpus, String reason, int driverVersion, int runtimeVersion, String buildStatus, String cudnn,
      boolean emulated) {
    this.gpus = List.copyOf(gpus);
    this.reason = reason;
    this.driverVersion = driverVersion;
    this.runtimeVersion = runtimeVersion;
    this.buildStatus = buildStatus;
    this.cudnn = cudnn;
    this.emulated = emulated;
  }

  /**
   * The status of this machine, probed on first use. Never throws.
   *
   * @return the cached status
   */
  public static CudaStatus probe() {
    CudaStatus s = cached;
    if (s == null) {
      synchronized (CudaStatus.class) {
        if (cached == null) cached = detect();
        s = cached;
      }
    }
    return s;
  }

  /**
   * Usable GPUs; empty when {@link #available()} is false.
   *
   * @return the GPUs (unmodifiable)
   */
  public List<Gpu> gpus() {
    return gpus;
  }

  /**
   * True when at least one GPU can run the pvll CUDA kernels.
   *
   * @return whether a GPU is usable
   */
  public boolean available() {
    return !gpus.isEmpty();
  }

  /**
   * Why there is no usable GPU, or {@code null} when there is one.
   *
   * @return the reason, or null
   */
  public String reason() {
    return reason;
  }

  /**
   * CUDA version the driver supports (e.g. 13000), 0 when there is no driver.
   *
   * @return the version code
   */
  public int driverVersion() {
    return driverVersion;
  }

  /**
   * CUDA runtime version libpvll_cuda was built with (e.g. 13000), 0 when unknown.
   *
   * @return the version code
   */
  public int runtimeVersion() {
    return runtimeVersion;
  }

  /**
   * How libpvll_cuda.so was built, or why it did not load.
   *
   * @return the build status line
   */
  public String buildStatus() {
    return buildStatus;
  }

  /**
   * cuDNN's version when its library loads through the JavaCPP presets, else the reason it does not.
   *
   * @return the cuDNN status line
   */
  public String cudnn() {
    return cudnn;
  }

  /**
   * Whether the CUDA device is the emulated one (kernels/dev/emu): for correctness, not for speed.
   *
   * @return true on the emulated device
   */
  public boolean emulated() {
    return emulated;
  }

  /**
   * Formats a CUDA version number: 13000 becomes "13.0", 0 or less "none".
   *
   * @param v the version code
   * @return the version text
   */
  public static String formatVersion(int v) {
    return v <= 0 ? "none" : (v / 1000) + "." + (v % 1000) / 10;
  }

  private static CudaStatus detect() {
    String build;
    boolean emulated;
    try {
      emulated = CudaLibrary.emulated();
      build = CudaKernels.pvll_cuda_build_status();
    } catch (Throwable t) {
      Throwable root = t;
      while (root.getCause() != null) root = root.getCause();
      String why = t == root ? t.toString() : t + " (" + root + ")";
      return new CudaStatus(List.of(), "libpvll_cuda could not be loaded: " + why, 0, 0, "not loaded: " + why, "not checked",
          false);
    }
    String cudnn = emulated ? "not used on the emulated CUDA device" : null;
    int[] count = new int[1];
    int status = CudaKernels.pvll_cuda_device_count(count);
    if (status == KernelException.NO_CUDA) {
      return new CudaStatus(List.of(), "this pvll build has no CUDA kernels (" + build + ")", 0, 0, build,
          cudnn != null ? cudnn : cudnnStatus(), emulated);
    }
    int[] driver = new int[1], runtime = new int[1];
    CudaKernels.pvll_cuda_versions(driver, runtime); // driver stays 0 without a driver
    String error = status == 0 ? null : CudaKernels.pvll_cuda_last_error();
    if (status != 0 || count[0] == 0) {
      return new CudaStatus(List.of(), explain(error, driver[0], runtime[0]), driver[0], runtime[0], build,
          cudnn != null ? cudnn : cudnnStatus(), emulated);
    }
    List<Gpu> gpus = new ArrayList<>();
    StringBuilder problems = new StringBuilder();
    for (int i = 0; i < count[0]; i++) {
      byte[] name = new byte[256];
      long[] total = new long[1];
      int[] major = new int[1], minor = new int[1], sms = new int[1];
      if (CudaKernels.pvll_cuda_device_info(i, name, name.length, total, major, minor, sms) != 0) {
        problems.append("cuda:").append(i).append(": ").append(CudaKernels.pvll_cuda_last_error()).append("; ");
        continue;
      }
      int len = 0;
      while (len < name.length && name[len] != 0) len++;
      String text = new String(name, 0, len, StandardCharsets.UTF_8);
      gpus.add(new Gpu(i, emulated ? "cuda:" + i + " (emulated), " + text : text, total[0], major[0], minor[0], sms[0]));
    }
    String reason = gpus.isEmpty() ? "every GPU failed its query: " + problems : null;
    return new CudaStatus(gpus, reason, driver[0], runtime[0], build, cudnn != null ? cudnn : cudnnStatus(), emulated);
  }

  private static String explain(String error, int driver, int runtime) {
    if (error == null) return "the NVIDIA driver reports no CUDA device";
    if (driver == 0 || error.contains("cudaErrorInsufficientDriver") && driver == 0) {
      return "no NVIDIA driver (libcuda.so.1 not found or not loadable): " + error;
    }
    if (error.contains("cudaErrorInsufficientDriver")) {
      return "NVIDIA driver too old: it supports CUDA " + formatVersion(driver) + ", the kernels need CUDA "
          + formatVersion(runtime) + ": " + error;
    }
    if (error.contains("cudaErrorNoDevice")) return "the NVIDIA driver is loaded but reports no CUDA device: " + error;
    if (error.contains("cudaErrorStubLibrary")) return "only the CUDA stub library is installed, no real driver: " + error;
    return error;
  }

  private static String cudnnStatus() {
    try {
      Class<?> cudnn = Class.forName("org.bytedeco.cuda.global.cudnn");
      Loader.load(cudnn);
      long version = (long) cudnn.getMethod("cudnnGetVersion").invoke(null);
      return "cuDNN " + version / 10000 + "." + (version % 10000) / 100 + "." + version % 100 + " loads";
    } catch (Throwable t) {
      Throwable root = t;
      while (root.getCause() != null) root = root.getCause();
      String msg = String.valueOf(root.getMessage());
      return "cuDNN does not load (" + root.getClass().getSimpleName() + ": "
          + (msg.length() > 160 ? msg.substring(0, 160) + "..." : msg) + ")";
    }
  }
}
