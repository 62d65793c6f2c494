package dev.pvll.nn;

import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Every parameter of a network in one flat buffer (and gradients, momentum in two more of the
 * same layout), so an optimiser step over a run of parameters is one kernel call. Layers
 * register parameters while the network is built; {@link #allocate} then creates the buffers
 * and initialises the values. Parameters registered between {@link #beginSegment} and
 * {@link #endSegment} form a contiguous segment (one candidate op on one edge) that can be
 * stepped alone. Non-learnable state (BN running statistics) lives in a second store of
 * buffers.
 *
 * <p>The buffers store also says whose batch its layers' statistics are over: the
 * {@link Collectives} of the job (default: this process alone). In a data-parallel job each rank
 * holds a shard of every batch, and a {@link BatchNorm} registered here computes its statistics
 * over the whole batch through them. It is the one object every BN constructor already receives
 * from its network builder, so the job's collectives reach every BN without a global setting.
 */
public final class ParameterStore implements AutoCloseable {
  /** A contiguous run of parameters, [start, end) in elements. */
  public record Segment(String name, long start, long end) {
    public long size() {
      return end - start;
    }
  }

  private final Collectives collectives;
  private final List<Parameter> parameters = new ArrayList<>();
  private final List<Segment> segments = new ArrayList<>();
  private long size;
  private String openSegment;
  private long openStart;
  private Tensor values, grads, momentum;

  /** A store of a network that sees only this process's batches. */
  public ParameterStore() {
    this(Collectives.single());
  }

  /** A store whose layers' batch statistics are over the batch shared by collectives' ranks. */
  public ParameterStore(Collectives collectives) {
    if (collectives == null) throw new IllegalArgumentException("ParameterStore: collectives must not be null");
    this.collectives = collectives;
  }

  /** The ranks whose shards make up one batch for this store's layers (a single process: {@link Collectives#single()}). */
  public Collectives collectives() {
    return collectives;
  }

  /** Registers a parameter of the given shape; returns it unbound until allocate. */
  public Parameter add(String name, Init init, int... shape) {
    if (values != null) throw new IllegalStateException("parameter " + name + " added after allocate");
    Parameter p = new Parameter(name, shape, size, init);
    parameters.add(p);
    size += p.size();
    return p;
  }

  /** Starts a segment: the parameters added until endSegment are one contiguous run. */
  public void beginSegment(String name) {
    if (openSegment != null) throw new IllegalStateException("segment " + openSegment + " still open");
    openSegment = name;
    openStart = size;
  }

  /** Ends the open segment and returns it. */
  public Segment endSegment() {
    if (openSegment == null) throw new IllegalStateException("no segment open");
    Segment s = new Segment(openSegment, openStart, size);
    segments.add(s);
    openSegment = null;
    return s;
  }

  /** Allocates the flat buffers on device and initialises every parameter from seed. */
  public void allocate(Device device, long seed) {
    if (openSegment != null) throw new IllegalStateException("segment " + openSegment + " still open");
    int n = (int) Math.max(1, size);
    values = Scope.unowned(() -> Tensor.zeros(device, n));
    grads = Scope.unowned(() -> Tensor.zeros(device, n));
    momentum = Scope.unowned(() -> Tensor.zeros(device, n));
    float[] host = new float[n];
    SplittableRandom rng = new SplittableRandom(seed);
    for (Parameter p : parameters) {
      float[] v = new float[(int) p.size()];
      p.init().fill(v, rng);
      System.arraycopy(v, 0, host, (int) p.offset(), v.length);
      p.bind(values, grads);
    }
    values.copyFrom(host);
  }

  public List<Parameter> parameters() {
    return Collections.unmodifiableList(parameters);
  }

  public List<Segment> segments() {
    return Collections.unmodifiableList(segments);
  }

  /** Total number of parameter elements. */
  public long size() {
    return size;
  }

  /** The flat parameter buffer. */
  public Tensor values() {
    return check(values);
  }

  /** The flat gradient buffer. */
  public Tensor grads() {
    return check(grads);
  }

  /** The flat momentum (optimiser state) buffer. */
  public Tensor momentum() {
    return check(momentum);
  }

  /** Sets every gradient to zero. */
  public void zeroGrads() {
    check(grads).fill(0f);
  }

  /**
   * One SGD step (PyTorch semantics: momentum, weight decay) over the given element ranges only,
   * merging adjacent ranges into one kernel call each.
   */
  public void sgdStep(List<long[]> ranges, float lr, float momentumFactor, float weightDecay) {
    for (long[] r : merge(ranges)) {
      int len = (int) (r[1] - r[0]);
      if (len == 0) continue;
      try (Tensor p = values.view(r[0], len); Tensor g = grads.view(r[0], len); Tensor m = momentum.view(r[0], len)) {
        OptimOps.sgdStep(p, g, m, lr, momentumFactor, weightDecay);
      }
    }
  }

  /** Sorted, merged copies of [start, end) ranges. */
  public static List<long[]> merge(List<long[]> ranges) {
    List<long[]> sorted = new ArrayList<>();
    for (long[] r : ranges) sorted.add(r.clone());
    sorted.sort((a, b) -> Long.compare(a[0], b[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] r : sorted) {
      if (!out.isEmpty() && out.get(out.size() - 1)[1] >= r[0]) {
        long[] last = out.get(out.size() - 1);
        last[1] = Math.max(last[1], r[1]);
      } else {
        out.add(r);
      }
    }
    return out;
  }

  private Tensor check(Tensor t) {
    if (t == null) throw new IllegalStateException("parameter store not allocated");
    return t;
  }

  @Override
  public void close() {
    if (values != null) {
      values.close();
      grads.close();
      momentum.close();
    }
  }
}
