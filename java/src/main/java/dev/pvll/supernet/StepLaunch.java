package dev.pvll.supernet;

import dev.pvll.kernels.CudaGraph;
import dev.pvll.kernels.Device;
import java.util.Objects;

/**
 * How {@link SupernetStep} launches the step: three ways of running the same ops, with the same
 * numbers (bit for bit on one device). Part of a run's configuration.
 *
 * @param kind which way; {@link Kind#AUTO} picks one for the device
 * @param lanes each cell's edges as pieces on lanes: parallel branches of a captured graph (the
 *     other kinds run the same pieces in order); same numbers
 * @param switches how a captured graph's switch nodes get their case
 */
public record StepLaunch(Kind kind, boolean lanes, CudaGraph.SwitchSetting switches) {
  /** The ways of launching a step. */
  public enum Kind {
    /** {@link #GRAPH} where the device can capture graphs, {@link #RESIDENT} on other GPUs, {@link #PLAIN} on the CPU. */
    AUTO,
    /** Each op picked on the host; every step waits for the device and its loss is read back before the next. */
    PLAIN,
    /**
     * The same launches queued back to back: the architecture, learning rate and per-step losses
     * live on the device and the host reads the losses once per epoch.
     */
    RESIDENT,
    /**
     * The resident step captured once as a CUDA graph (each edge's op a switch node) and replayed
     * for every batch and architecture; resident launches where graphs are not supported.
     */
    GRAPH
  }

  /** AUTO, no lanes, one switch-setting kernel per switch: the default. */
  public static final StepLaunch AUTO = new StepLaunch(Kind.AUTO, false, CudaGraph.SwitchSetting.EACH);

  public StepLaunch {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(switches, "switches");
  }

  /** A launch of this kind, no lanes, switches set one by one. */
  public static StepLaunch of(Kind kind) {
    return new StepLaunch(kind, false, CudaGraph.SwitchSetting.EACH);
  }

  public StepLaunch withKind(Kind k) {
    return new StepLaunch(k, lanes, switches);
  }

  public StepLaunch withLanes(boolean l) {
    return new StepLaunch(kind, l, switches);
  }

  public StepLaunch withSwitches(CudaGraph.SwitchSetting s) {
    return new StepLaunch(kind, lanes, s);
  }

  /** The kind that runs on device: AUTO resolved, GRAPH without graph support falls back to RESIDENT. */
  public Kind on(Device device) {
    boolean graphs = CudaGraph.supported(device);
    return switch (kind) {
      case AUTO -> graphs ? Kind.GRAPH : device.isCuda() ? Kind.RESIDENT : Kind.PLAIN;
      case GRAPH -> graphs ? Kind.GRAPH : Kind.RESIDENT;
      default -> kind;
    };
  }
}
