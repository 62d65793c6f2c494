package dev.pvll.supernet;

import dev.pvll.kernels.Branching;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.space.Primitive;

/**
 * A sampled architecture held in tensors on the network's device: op indices (floats holding
 * integers) and edge weights, row 0 the normal cell, row 1 the reduction cell. A step that reads
 * them when it runs ({@link ResidentTrainer}) is captured once and replayed for every
 * architecture; {@link #set} changes them with one small copy. A host copy of the current values
 * serves plain (uncaptured) launches without reading the device back. Closing frees both tensors.
 */
public final class DeviceArchitecture implements AutoCloseable {
  private final int edges;
  private final Tensor ops;
  private final Tensor weights;
  private final float[] hostOps;
  private final float[] hostWeights;
  private SampledArchitecture current;

  /** Room for an architecture of edges edges per cell on device; every edge starts as {@code none}. */
  public DeviceArchitecture(Device device, int edges) {
    this.edges = edges;
    this.hostOps = new float[2 * edges];
    this.hostWeights = new float[2 * edges];
    this.ops = dev.pvll.kernels.Scope.unowned(() -> Tensor.zeros(device, 2 * edges));
    this.weights = dev.pvll.kernels.Scope.unowned(() -> Tensor.zeros(device, 2 * edges));
  }

  /** Copies arch into the tensors (enqueued after the work before it, like any op). */
  public void set(SampledArchitecture arch) {
    for (int t = 0; t < 2; t++) {
      CellChoice c = t == 0 ? arch.normal() : arch.reduce();
      if (c.edges() != edges) {
        throw new IllegalArgumentException("architecture has " + c.edges() + " edges per cell, expected " + edges);
      }
      for (int e = 0; e < edges; e++) {
        hostOps[t * edges + e] = c.op(e);
        hostWeights[t * edges + e] = c.weight(e);
      }
    }
    ops.copyFrom(hostOps);
    weights.copyFrom(hostWeights);
    current = arch;
  }

  /** The architecture last set, or null. */
  public SampledArchitecture current() {
    return current;
  }

  /** Op indices, [2 * edges]. */
  public Tensor ops() {
    return ops;
  }

  /** Edge weights, [2 * edges]. */
  public Tensor weights() {
    return weights;
  }

  /** Picks ops by the host copy of the current values (plain launches, no device read-back). */
  public Branching hostBranching() {
    return Branching.fromHost(hostOps);
  }

  EdgeSelection forCell(boolean reduction, Branching branching) {
    return EdgeSelection.of(ops, weights, reduction ? edges : 0, Primitive.values().length, branching);
  }

  @Override
  public void close() {
    ops.close();
    weights.close();
  }
}
