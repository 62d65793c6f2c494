/**
 * pvll-kernels: float32 neural-network kernels for the JVM, in C++ on the CPU (AVX2/AVX-512,
 * an internal thread pool) and in CUDA on NVIDIA GPUs, reached through JavaCPP bindings. The
 * library holds the ops of a convolutional network's forward and backward passes, their
 * optimisers, CUDA streams, events and graphs, and collectives for data-parallel jobs; it holds
 * no NAS code and depends on JavaCPP and its CUDA presets only.
 *
 * <h2>Ops</h2>
 * One class per op family ({@link dev.pvll.kernels.ConvOps}, {@link dev.pvll.kernels.PoolOps},
 * {@link dev.pvll.kernels.SpatialOps}, {@link dev.pvll.kernels.NormOps},
 * {@link dev.pvll.kernels.SyncBatchNorm}, {@link dev.pvll.kernels.LinearOps},
 * {@link dev.pvll.kernels.LossOps}, {@link dev.pvll.kernels.ElementwiseOps},
 * {@link dev.pvll.kernels.TensorOps}, {@link dev.pvll.kernels.OptimOps},
 * {@link dev.pvll.kernels.StepOps}, {@link dev.pvll.kernels.SamplingOps}), one static method
 * per op and direction. The caller passes the output tensors (a few convenience methods
 * allocate them); the op dispatches on its tensors' device to the CPU kernels or the CUDA
 * kernels, which have the same semantics. Each op's comment names its PyTorch equivalent.
 * Backward ops take an {@code accumulate} flag: false overwrites the gradient, true adds into
 * it (for tensors used more than once), as autograd's accumulation into {@code .grad} does.
 *
 * <h2>Memory: Tensor and Scope</h2>
 * A {@link dev.pvll.kernels.Tensor} is a contiguous float32 buffer of rank 1 to 4 (NCHW for
 * images) in native memory on one {@link dev.pvll.kernels.Device}; there are no strides, so
 * every tensor is contiguous and no op needs to check it. Memory is freed by
 * {@link dev.pvll.kernels.Tensor#close()}, not by the garbage collector. A
 * {@link dev.pvll.kernels.Scope} collects every tensor created on its thread while it is open
 * and closes them together; {@link dev.pvll.kernels.Scope#keep} takes the results out. Views
 * ({@link dev.pvll.kernels.Tensor#view}, {@link dev.pvll.kernels.Tensor#reshape}) share their
 * owner's memory. Using a closed tensor throws {@link java.lang.IllegalStateException}.
 * {@link dev.pvll.kernels.NativeDoubles} (float64 vectors) and
 * {@link dev.pvll.kernels.PinnedBuffer} (page-locked host memory) are closed by the caller.
 *
 * <h2>Devices</h2>
 * {@link dev.pvll.kernels.Device#cpu()} or {@link dev.pvll.kernels.Device#cuda(int)};
 * {@link dev.pvll.kernels.CudaStatus#probe()} says which GPUs are usable and, when none is, why.
 * All tensors of one op must be on one device (checked). CUDA ops are enqueued on the ops'
 * stream (the legacy default stream, or a capture lane's stream inside
 * {@link dev.pvll.kernels.CudaGraph#capture}) and return at once; reading a result
 * ({@link dev.pvll.kernels.Tensor#toArray()}, the methods returning a {@code double}) waits
 * for the device. {@link dev.pvll.kernels.CudaStream}, {@link dev.pvll.kernels.CudaEvent} and
 * {@link dev.pvll.kernels.PinnedBuffer} overlap copies with the ops;
 * {@link dev.pvll.kernels.CudaGraph} captures a step and replays it with one launch.
 *
 * <h2>Errors</h2>
 * Every op checks its arguments in Java before any native call: null tensors and mixed
 * devices give {@link java.lang.IllegalArgumentException} naming the op, as do wrong shapes and
 * out-of-range integers (strides, dilations, kernel sizes, offsets), and closed tensors give
 * {@link java.lang.IllegalStateException}. The native code checks again and never exits or
 * aborts the JVM: every C function returns a status, and a non-zero status becomes a
 * {@link dev.pvll.kernels.KernelException} carrying the op name, the status (one of its
 * constants: {@code INVALID_ARGUMENT}, {@code OUT_OF_MEMORY}, {@code CUDA}, {@code NO_CUDA},
 * ...) and the native message. A CUDA kernel that fails while running (rather than at launch)
 * is reported, as CUDA reports it, by a later call on that device. What the Java checks cannot
 * see is the caller's to ensure. No op writes a tensor that shares memory with another of its
 * arguments, except the in-place uses its method allows (an output that is exactly an input, as
 * ReLU's y = x): every op checks this before the native call, as does
 * {@link dev.pvll.kernels.Tensor#copyFrom(dev.pvll.kernels.Tensor)} on one device (an
 * {@link java.lang.IllegalArgumentException} naming both tensors).
 *
 * <h2>Thread safety</h2>
 * The op methods are stateless and may be called from several threads; CPU ops run their
 * parallel regions one at a time on the shared kernel thread pool, and native error messages
 * are thread-local. A tensor is not synchronised: two threads must not write one tensor, or
 * read one while another writes it. A {@link dev.pvll.kernels.Scope} belongs to the thread that
 * opened it. {@link dev.pvll.kernels.Collectives} and
 * {@link dev.pvll.kernels.NcclCommunicator} serialise their own calls.
 *
 * <h2>Determinism</h2>
 * On the CPU every op gives bit-identical results from run to run and for any thread count
 * ({@link dev.pvll.kernels.CpuInfo#setThreads}): work is split by the shape only and partial
 * sums are combined in a fixed order. On CUDA no kernel uses floating-point atomics (backward
 * passes gather; reductions write per-block partials that one pass sums in a fixed order), so
 * results are bit-identical from run to run on one GPU and agree with the CPU's to float
 * rounding, not bitwise. The random ops draw from a counter-based Philox stream: a
 * (seed, counter) pair gives the same draw on every device and thread count
 * ({@link dev.pvll.kernels.SamplingOps}).
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Device device = Device.best();                    // the first GPU, else the CPU
 * try (Tensor x = Tensor.of(device, pixels, 8, 3, 32, 32);
 *     Tensor w = Tensor.of(device, weights, 16, 3, 3, 3)) {
 *   float[] out;
 *   try (Scope step = Scope.open()) {               // frees the temporaries at the end
 *     Tensor y = ConvOps.conv2d(x, w, null, 1, 1, 1); // [8, 16, 32, 32]
 *     Tensor h = ElementwiseOps.relu(y);
 *     out = h.toArray();                            // waits for the device
 *   }
 * }
 * }</pre>
 *
 * <p>{@code dev.pvll.kernels.bind} (the JavaCPP binding classes) is internal and may change
 * without notice.
 */
package dev.pvll.kernels;
