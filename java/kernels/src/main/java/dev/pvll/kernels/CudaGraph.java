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

  /**
   * Whether graphs with switch nodes can be captured on device (a CUDA device, runtime and
   * driver 12.8+).
   *
   * @param device the device
   * @return false for the CPU or an older CUDA
   */
  public static boolean supported(Device device) {
    if (!device.isCuda()) return false;
    int[] out = new int[1];
    return CudaGraphKernels.pvll_cuda_graphs_supported(device.index(), out) == 0 && out[0] == 1;
  }

  /**
   * Captures what body enqueues on this thread. The branching body receives records each
   * {@link Branching#branch} as a switch node with every case captured.
   *
   * @param device the GPU
   * @param body the code whose ops are captured
   * @return the graph, owned by the caller
   * @throws IllegalArgumentException for a device without graph support
   * @throws KernelException when CUDA refuses the capture; nothing is left open then
   */
  public static CudaGraph capture(Device device, Consumer<Branching> body) {
    return capture(device, 0, (branching, lanes) -> body.accept(branching));
  }

  /** How a replay gives each switch node its case. */
  public enum SwitchSetting {
    /** A one-thread kernel right before each switch (CUDA's documented pattern). */
    EACH,
    /** One kernel at the root of the graph sets every switch (fewer nodes on the critical path). */
    ROOT
  }

  /**
   * {@link #capture(Device, int, SwitchSetting, BiConsumer)} with {@link SwitchSetting#EACH}.
   *
   * @param device the GPU
   * @param lanes number of lanes, at least 0
   * @param body the code whose ops are captured
   * @return the graph, owned by the caller
   * @throws IllegalArgumentException for a device without graph support or negative lanes
   * @throws KernelException when CUDA refuses the capture
   */
  public static CudaGraph capture(Device device, int lanes, BiConsumer<Branching, Lanes> body) {
    return capture(device, lanes, SwitchSetting.EACH, body);
  }

  /**
   * Captures what body enqueues on this thread, with lanes lanes of its own ({@link Lanes}): work
   * put on different lanes becomes parallel branches of the graph. Every lane is joined back
   * before the capture ends.
   *
   * @param device the GPU
   * @param lanes number of lanes, at least 0
   * @param switches how replays set the switch nodes
   * @param body the code whose ops are captured
   * @return the graph, owned by the caller
   * @throws IllegalArgumentException for a device without graph support or negative lanes
   * @throws KernelException when CUDA refuses the capture; nothing is left open then
   */
  public static CudaGraph capture(Device device, int lanes, SwitchSetting switches, BiConsumer<Branching, Lanes> body) {
    if (!supported(device)) {
      throw new IllegalArgumentException("CUDA graphs with switch nodes need CUDA 12.8+ on a GPU; not available on " + device);
    }
    if (lanes < 0) throw new IllegalArgumentException("lanes must be >= 0, got " + lanes);
    int flags = switches == SwitchSetting.ROOT ? 1 : 0; // PVLL_GRAPH_SWITCHES_AT_ROOT
    Native.cuda("capture_begin", CudaGraphKernels.pvll_cuda_capture_begin(device.index(), flags));
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

  /**
   * Enqueues one replay on the default stream of the ops; returns at once.
   *
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA refuses the launch
   */
  public void launch() {
    Native.cuda("graph_launch", CudaGraphKernels.pvll_cuda_graph_launch(handle(), 0));
  }

  /**
   * Top-level nodes of the graph (a switch with all its cases counts once).
   *
   * @return the node count
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA fails
   */
  public long nodes() {
    long[] nodes = new long[1], bytes = new long[1];
    Native.cuda("graph_info", CudaGraphKernels.pvll_cuda_graph_info(handle(), nodes, bytes));
    return nodes[0];
  }

  /**
   * Bytes of device memory the graph owns (its captured temporaries).
   *
   * @return the size in bytes
   * @throws IllegalStateException when closed
   * @throws KernelException when CUDA fails
   */
  public long bytes() {
    long[] nodes = new long[1], bytes = new long[1];
    Native.cuda("graph_info", CudaGraphKernels.pvll_cuda_graph_info(handle(), nodes, bytes));
    return bytes[0];
  }

  /**
   * The graph's GPU.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  private long handle() {
    if (handle == 0) throw new IllegalStateException("CUDA graph on " + device + " was closed");
    return handle;
  }

  /**
   * Waits for the device and frees the graph and its memory. Harmless when already closed.
   *
   * @throws KernelException when CUDA fails
   */
  @Override
  public void close() {
    if (handle == 0) return;
    long h = handle;
    handle = 0;
    Native.cuda("graph_destroy", CudaGraphKernels.pvll_cuda_graph_destroy(h));
  }
}
