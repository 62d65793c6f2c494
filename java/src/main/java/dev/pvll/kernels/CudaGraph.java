package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaGraphKernels;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A captured CUDA graph: the ops a piece of Java code enqueues, recorded once and replayed with
 * one launch. Branches on device values ({@link Branching}) become switch nodes, so the launch
 * sequence does not depend on them and one graph serves every value; scalars the host would
 * otherwise pass per launch live in tensors ({@link StepOps}).
 *
 * <pre>{@code
 * try (CudaGraph step = CudaGraph.capture(gpu, branching -> trainStep(branching))) {
 *   for (Batch b : batches) { copyInputs(b); step.launch(); }
 * }
 * }</pre>
 *
 * <p>During the capture nothing runs: the code must not read device values back, and every
 * tensor it allocates comes from memory the graph owns until it is closed (tensors closed after
 * the capture keep their memory with the graph). Replays run on the default stream of the ops,
 * ordered with every op enqueued before and after. Needs CUDA 12.8 or later ({@link #supported}).
 * Closing waits for the device and frees the graph's memory; closing twice is harmless.
 */
public final class CudaGraph implements AutoCloseable {
  private final Device device;
  private long handle;

  private CudaGraph(Device device, long handle) {
    this.device = device;
    this.handle = handle;
  }

  /** Whether graphs with switch nodes can be captured on device (a CUDA device, runtime and driver 12.8+). */
  public static boolean supported(Device device) {
    if (!device.isCuda()) return false;
    int[] out = new int[1];
    return CudaGraphKernels.pvll_cuda_graphs_supported(device.index(), out) == 0 && out[0] == 1;
  }

  /**
   * Captures what body enqueues on this thread. The branching body receives records each
   * {@link Branching#branch} as a switch node with every case captured.
   *
   * @throws IllegalArgumentException for a device without graph support
   * @throws KernelException when CUDA refuses the capture; nothing is left open then
   */
  public static CudaGraph capture(Device device, Consumer<Branching> body) {
    return capture(device, 0, (branching, lanes) -> body.accept(branching));
  }

  /**
   * Captures what body enqueues on this thread, with lanes lanes of its own ({@link Lanes}): work
   * put on different lanes becomes parallel branches of the graph. Every lane is joined back
   * before the capture ends.
   */
  public static CudaGraph capture(Device device, int lanes, BiConsumer<Branching, Lanes> body) {
    if (!supported(device)) {
      throw new IllegalArgumentException("CUDA graphs with switch nodes need CUDA 12.8+ on a GPU; not available on " + device);
    }
    if (lanes < 0) throw new IllegalArgumentException("lanes must be >= 0, got " + lanes);
    Native.cuda("capture_begin", CudaGraphKernels.pvll_cuda_capture_begin(device.index()));
    boolean ended = false;
    CaptureLanes captureLanes = null;
    try {
      captureLanes = new CaptureLanes(device, lanes);
      body.accept(CudaGraph::captureSwitch, captureLanes);
      captureLanes.joinAll();
      long[] out = new long[1];
      ended = true; // capture_end discards the capture itself when it fails
      Native.cuda("capture_end", CudaGraphKernels.pvll_cuda_capture_end(device.index(), out));
      return new CudaGraph(device, out[0]);
    } finally {
      if (!ended) CudaGraphKernels.pvll_cuda_capture_abort(device.index()); // before the lanes' streams go
      if (captureLanes != null) captureLanes.close();
    }
  }

  /** Lanes of a capture: a stream per lane, an event per mark; the thread's stream switches per piece. */
  private static final class CaptureLanes implements Lanes, AutoCloseable {
    private final Device device;
    private final CudaStream[] streams;
    private final java.util.List<CudaEvent> events = new java.util.ArrayList<>();
    private final CudaEvent[] lastOnLane;
    private final long main;
    private boolean inside;

    private record EventMark(CudaEvent event) implements Mark {}

    CaptureLanes(Device device, int count) {
      this.device = device;
      this.streams = new CudaStream[count];
      this.lastOnLane = new CudaEvent[count];
      long[] s = new long[1];
      Native.cuda("get_thread_stream", CudaGraphKernels.pvll_cuda_get_thread_stream(s));
      this.main = s[0];
      try {
        for (int i = 0; i < count; i++) streams[i] = CudaStream.create(device);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    private CudaEvent newEvent() {
      CudaEvent e = CudaEvent.create(device);
      events.add(e);
      return e;
    }

    @Override
    public Mark mark() {
      if (inside) throw new IllegalStateException("lanes do not nest: mark() inside a lane's piece");
      CudaEvent e = newEvent();
      e.record(null); // the thread's stream: the capture's main stream
      return new EventMark(e);
    }

    @Override
    public Mark run(int lane, Runnable body, Mark... after) {
      if (inside) throw new IllegalStateException("lanes do not nest: run() inside a lane's piece");
      if (lane < 0 || lane >= streams.length) throw new IndexOutOfBoundsException("lane " + lane + " of " + streams.length);
      CudaStream stream = streams[lane];
      for (Mark m : after) stream.waitFor(event(m));
      if (lastOnLane[lane] == null && after.length == 0) stream.waitFor(event(mark())); // join the capture first
      Native.cuda("set_thread_stream", CudaGraphKernels.pvll_cuda_set_thread_stream(device.index(), stream.handle()));
      inside = true;
      try {
        body.run();
      } finally {
        inside = false;
        Native.cuda("set_thread_stream", CudaGraphKernels.pvll_cuda_set_thread_stream(device.index(), main));
      }
      CudaEvent end = newEvent();
      end.record(stream);
      lastOnLane[lane] = end;
      return new EventMark(end);
    }

    @Override
    public void join(Mark... marks) {
      for (Mark m : marks) event(m).makeOpsWait();
    }

    @Override
    public int count() {
      return streams.length;
    }

    /** The main stream waits for the last piece of every lane (a capture must end joined). */
    void joinAll() {
      for (CudaEvent e : lastOnLane) {
        if (e != null) e.makeOpsWait();
      }
    }

    private static CudaEvent event(Mark m) {
      if (!(m instanceof EventMark em)) throw new IllegalArgumentException("a mark of another Lanes: " + m);
      return em.event();
    }

    @Override
    public void close() {
      for (CudaEvent e : events) e.close();
      for (CudaStream s : streams) {
        if (s != null) s.close();
      }
    }
  }

  private static void captureSwitch(Tensor selector, long index, int cases, java.util.function.IntConsumer body) {
    if (!selector.device().isCuda()) throw new IllegalArgumentException("a captured switch needs a CUDA selector, got " + selector.device());
    if (index < 0 || index >= selector.size()) {
      throw new IndexOutOfBoundsException("switch selector index " + index + " outside [0, " + selector.size() + ")");
    }
    Native.cuda("switch_begin", CudaGraphKernels.pvll_cuda_switch_begin(selector.address() + index * Float.BYTES, cases));
    for (int k = 0; k < cases; k++) {
      Native.cuda("switch_case", CudaGraphKernels.pvll_cuda_switch_case(k));
      body.accept(k);
    }
    Native.cuda("switch_end", CudaGraphKernels.pvll_cuda_switch_end(cases));
  }

  /** Enqueues one replay on the default stream of the ops; returns at once. */
  public void launch() {
    Native.cuda("graph_launch", CudaGraphKernels.pvll_cuda_graph_launch(handle(), 0));
  }

  /** Top-level nodes of the graph (a switch with all its cases counts once). */
  public long nodes() {
    long[] nodes = new long[1], bytes = new long[1];
    Native.cuda("graph_info", CudaGraphKernels.pvll_cuda_graph_info(handle(), nodes, bytes));
    return nodes[0];
  }

  /** Bytes of device memory the graph owns (its captured temporaries). */
  public long bytes() {
    long[] nodes = new long[1], bytes = new long[1];
    Native.cuda("graph_info", CudaGraphKernels.pvll_cuda_graph_info(handle(), nodes, bytes));
    return bytes[0];
  }

  public Device device() {
    return device;
  }

  private long handle() {
    if (handle == 0) throw new IllegalStateException("CUDA graph on " + device + " was closed");
    return handle;
  }

  @Override
  public void close() {
    if (handle == 0) return;
    long h = handle;
    handle = 0;
    Native.cuda("graph_destroy", CudaGraphKernels.pvll_cuda_graph_destroy(h));
  }
}
