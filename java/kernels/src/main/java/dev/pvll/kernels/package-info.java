/**
 * The pvll kernel library: {@link dev.pvll.kernels.Device}, {@link dev.pvll.kernels.Tensor},
 * {@link dev.pvll.kernels.Scope} and the ops (one class per op family, one method per op and
 * direction, dispatching on the tensors' device to the C++ CPU kernels or the CUDA kernels).
 *
 * <p>This package holds no NAS code: other JVM tools can depend on the {@code pvll} jar and use
 * the kernels alone. Every op checks its arguments (open tensors, one device, shapes) before
 * any native call and turns a native failure into a {@link dev.pvll.kernels.KernelException}.
 */
package dev.pvll.kernels;
