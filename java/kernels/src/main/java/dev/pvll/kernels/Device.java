package dev.pvll.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a tensor lives and an op runs: the CPU, or CUDA GPU number {@code index}.
 * A value type; compare with {@code equals}.
 */
public final class Device {
  /** The kind of device. */
  public enum Type {
    /** The host CPU. */
    CPU,
    /** An NVIDIA GPU. */
    CUDA
  }

  private static final Device CPU = new Device(Type.CPU, 0);

  private final Type type;
  private final int index;

  private Device(Type type, int index) {
    this.type = type;
    this.index = index;
  }

  /**
   * The host CPU.
   *
   * @return the CPU device
   */
  public static Device cpu() {
    return CPU;
  }

  /**
   * CUDA device {@code index} (not checked for presence; see {@link #available()}).
   *
   * @param index the GPU's CUDA ordinal, at least 0
   * @return the device
   * @throws IllegalArgumentException for a negative index
   */
  public static Device cuda(int index) {
    if (index < 0) throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
    return new Device(Type.CUDA, index);
  }

  /**
   * Parses {@code cpu}, {@code cuda} (or {@code gpu}: {@code cuda:0}), {@code cuda:N} or
   * {@code auto} (the best present), ignoring case and surrounding blanks.
   *
   * @param text the device's name
   * @return the device (a CUDA device is not checked for presence)
   * @throws IllegalArgumentException naming the text when it is none of these
   */
  public static Device parse(String text) {
    String t = text.trim().toLowerCase();
    if (t.equals("cpu")) return cpu();
    if (t.equals("auto")) return best();
    if (t.equals("cuda") || t.equals("gpu")) return cuda(0);
    if (t.startsWith("cuda:")) {
      try {
        return cuda(Integer.parseInt(t.substring(5)));
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException("unknown device '" + text + "': use cpu, cuda, cuda:N or auto");
  }

  /**
   * {@link #parse} for a device the caller is about to use: a CUDA device must also be present.
   *
   * @param text the device's name
   * @return the device
   * @throws IllegalArgumentException naming the text and, for a GPU, why it is not usable
   */
  public static Device resolve(String text) {
    Device d = parse(text);
    if (d.isCuda()) {
      CudaStatus s = CudaStatus.probe();
      if (!s.available() || s.gpus().size() <= d.index()) {
        throw new IllegalArgumentException("device '" + text + "' is not usable: "
            + (s.available() ? s.gpus().size() + " GPU(s) present" : s.reason()) + "; use cpu or auto");
      }
    }
    return d;
  }

  /**
   * {@link #resolve} for the rank with local rank localRank on its host in a data-parallel job:
   * {@code auto} and {@code cuda} mean that rank's own GPU, {@code cuda:<localRank>} (auto: the
   * CPU where no GPU is usable); an explicit {@code cuda:N} is that GPU for every rank (two ranks
   * sharing one GPU: a test set-up). For local rank 0 this is {@link #resolve}.
   *
   * @param text the device setting: cpu, cuda, cuda:N, gpu or auto
   * @param localRank the rank's place among the job's processes on its host
   * @return the rank's device
   * @throws IllegalArgumentException when the rank's GPU is not there, naming how many are
   */
  public static Device resolveForRank(String text, int localRank) {
    if (localRank < 0) throw new IllegalArgumentException("local rank must be >= 0, got " + localRank);
    String t = text.trim().toLowerCase();
    if (localRank == 0 || !(t.equals("auto") || t.equals("cuda") || t.equals("gpu"))) return resolve(text);
    CudaStatus s = CudaStatus.probe();
    int gpus = s.available() ? s.gpus().size() : 0;
    if (t.equals("auto") && gpus == 0) return cpu();
    if (localRank >= gpus) {
      throw new IllegalArgumentException("device '" + text + "' for local rank " + localRank + ": this host has " + gpus
          + " usable GPU(s)" + (gpus == 0 ? " (" + s.reason() + ")" : "") + ", one per rank is needed; start at most " + Math.max(1, gpus)
          + " ranks per host, or name one GPU for all (cuda:N), or use cpu");
    }
    return cuda(localRank);
  }

  /**
   * Every device present: the CPU first, then each usable CUDA GPU ({@link CudaStatus#probe()}).
   * Never throws.
   *
   * @return the devices
   */
  public static List<Device> available() {
    List<Device> devices = new ArrayList<>();
    devices.add(CPU);
    for (CudaStatus.Gpu gpu : CudaStatus.probe().gpus()) devices.add(cuda(gpu.index()));
    return devices;
  }

  /**
   * The first CUDA GPU when one is usable, else the CPU. Never throws.
   *
   * @return the device
   */
  public static Device best() {
    List<Device> devices = available();
    return devices.get(devices.size() - 1 > 0 ? 1 : 0);
  }

  /**
   * The kind of device.
   *
   * @return CPU or CUDA
   */
  public Type type() {
    return type;
  }

  /**
   * The CUDA ordinal (0 for the CPU).
   *
   * @return the index
   */
  public int index() {
    return index;
  }

  /**
   * Whether this is the CPU.
   *
   * @return true for the CPU
   */
  public boolean isCpu() {
    return type == Type.CPU;
  }

  /**
   * Whether this is a CUDA GPU.
   *
   * @return true for a GPU
   */
  public boolean isCuda() {
    return type == Type.CUDA;
  }

  /**
   * Devices are equal when their type and index are.
   *
   * @param o another object
   * @return whether o is the same device
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Device d && d.type == type && d.index == index;
  }

  /**
   * A hash of the type and index.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return Objects.hash(type, index);
  }

  /**
   * {@code cpu} or {@code cuda:N}, the form {@link #parse} reads.
   *
   * @return the name
   */
  @Override
  public String toString() {
    return isCpu() ? "cpu" : "cuda:" + index;
  }
}
