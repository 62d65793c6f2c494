package dev.pvll.supernet;

import dev.pvll.kernels.Branching;
import dev.pvll.kernels.CudaEvent;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.PinnedBuffer;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.space.Primitive;

/**
 * A sampled architecture held in tensors on the network's device: op indices (floats holding
 * integers) and edge weights, row 0 the normal cell, row 1 the reduction cell. A step that reads
 * them when it runs ({@link SupernetStep}) is captured once and replayed for every
 * architecture; {@link #set} changes them with one small asynchronous copy. A host copy of the
 * current values serves plain (uncaptured) launches without reading the device back. Closing
 * frees the tensors and the pinned staging buffers.
 */
public final class DeviceArchitecture implements AutoCloseable {
  /** Pinned staging buffers: set() waits only when the GPU is this many architectures behind. */
  private static final int SLOTS = 8;

  private final int edges;
  private final Device device;
  private final Tensor values; // [ops (2 * edges), weights (2 * edges)]
  private final Tensor ops;
  private final Tensor weights;
  private final float[] host; // the same layout, as last set
  private final PinnedBuffer[] staging;
  private final CudaEvent[] copied;
  private final boolean[] used;
  private int nextSlot;

  /** Room for an architecture of edges edges per cell on device; every edge starts as {@code none}. */
  public DeviceArchitecture(Device device, int edges) {
    this.edges = edges;
    this.device = device;
    this.host = new float[4 * edges];
    this.values = Scope.unowned(() -> Tensor.zeros(device, 4 * edges));
    this.ops = Scope.unowned(() -> values.view(0, 2 * edges));
    this.weights = Scope.unowned(() -> values.view(2 * edges, 2 * edges));
    this.staging = new PinnedBuffer[device.isCuda() ? SLOTS : 0];
    this.copied = new CudaEvent[staging.length];
    this.used = new boolean[staging.length];
    try {
      for (int i = 0; i < staging.length; i++) {
        staging[i] = PinnedBuffer.allocate(4L * edges);
        copied[i] = CudaEvent.create(device);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Copies arch into the tensors, enqueued after the work before it like any op. On CUDA the
   * copy goes through pinned memory and does not wait for the device.
   */
  public void set(SampledArchitecture arch) {
    for (int t = 0; t < 2; t++) {
      CellChoice c = t == 0 ? arch.normal() : arch.reduce();
      if (c.edges() != edges) {
        throw new IllegalArgumentException("architecture has " + c.edges() + " edges per cell, expected " + edges);
      }
      for (int e = 0; e < edges; e++) {
        host[t * edges + e] = c.op(e);
        host[2 * edges + t * edges + e] = c.weight(e);
      }
    }
    if (device.isCuda()) {
      int k = nextSlot;
      nextSlot = (nextSlot + 1) % SLOTS;
      if (used[k]) copied[k].synchronize(); // that slot's previous copy has left the buffer
      staging[k].write(host, host.length);
      staging[k].copyToAsync(0, values, host.length, null, copied[k]);
      used[k] = true;
    } else {
      values.copyFrom(host);
    }
  }

  /** Picks ops by the host copy of the current values (plain launches, no device read-back). */
  public Branching hostBranching() {
    return Branching.fromHost(host);
  }

  EdgeSelection forCell(boolean reduction, Branching branching) {
    return EdgeSelection.of(ops, weights, reduction ? edges : 0, Primitive.values().length, branching);
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (int i = 0; i < staging.length; i++) {
      try {
        if (copied[i] != null) {
          if (used[i]) copied[i].synchronize();
          copied[i].close();
        }
        if (staging[i] != null) staging[i].close();
      } catch (RuntimeException e) {
        if (first == null) first = e;
      }
    }
    ops.close();
    weights.close();
    values.close();
    if (first != null) throw first;
  }
}
