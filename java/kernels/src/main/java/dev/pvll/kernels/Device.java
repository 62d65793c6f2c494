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
    CPU,
    CUDA
  }

  private static final Device CPU = new Device(Type.CPU, 0);

  private final Type type;
  private final int index;

  private Device(Type type, int index) {
    this.type = type;
    this.index = index;
  }

  /** The host CPU. */
  public static Device cpu() {
    return CPU;
  }

  /** CUDA device {@code index} (not checked for presence; see {@link #available()}). */
  public static Device cuda(int index) {
    if (index < 0) throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
    return new Device(Type.CUDA, index);
  }

  /**
   * Parses {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto} (the best present).
   *
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

  /** Every device present: the CPU first, then each usable CUDA GPU. Never throws. */
  public static List<Device> available() {
    List<Device> devices = new ArrayList<>();
    devices.add(CPU);
    for (CudaStatus.Gpu gpu : CudaStatus.probe().gpus()) devices.add(cuda(gpu.index()));
    return devices;
  }

  /** The first CUDA GPU when one is usable, else the CPU. Never throws. */
  public static Device best() {
    List<Device> devices = available();
    return devices.get(devices.size() - 1 > 0 ? 1 : 0);
  }

  public Type type() {
    return type;
  }

  public int index() {
    return index;
  }

  public boolean isCpu() {
    return type == Type.CPU;
  }

  public boolean isCuda() {
    return type == Type.CUDA;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device d && d.type == type && d.index == index;
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, index);
  }

  /** {@code cpu} or {@code cuda:N}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return isCpu() ? "cpu" : "cuda:" + index;
  }
}
