// Small helpers shared by the layer kernels (norm.cu, pool.cu, loss_linear.cu, tensor_ops.cu,
// optim.cu, gumbel.cu).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_check.cuh"

namespace pvll_cuda {

constexpr int kLayerBlock = 256;

/** Grid-stride loop index helpers (64-bit: tensors above 2^31 values are fine). */
__device__ __forceinline__ long long global_thread() { return blockIdx.x * (long long)blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_threads() { return (long long)gridDim.x * blockDim.x; }

/**
 * Walks values [begin, end) of one channel of an NCHW tensor ([n, c, hw], value j is sample
 * j / hw, offset j % hw) with this thread's block stride, calling f(address) in increasing j.
 * One division per thread, then increments.
 */
template <class F>
__device__ __forceinline__ void walk_channel(int64_t begin, int64_t end, int64_t ch, int64_t c, int64_t hw, F&& f) {
  int64_t j = begin + threadIdx.x;
  if (j >= end) return;
  int64_t s = j / hw, i = j - s * hw;
  const int64_t ds = blockDim.x / hw, di = blockDim.x - ds * hw;
  for (; j < end; j += blockDim.x) {
    f((s * c + ch) * hw + i);
    s += ds;
    i += di;
    if (i >= hw) {
      i -= hw;
      ++s;
    }
  }
}

/** Bounds of slice p of P equal slices of [0, count). */
__device__ __forceinline__ void slice_bounds(int64_t count, int p, int slices, int64_t* begin, int64_t* end) {
  *begin = count * p / slices;
  *end = count * (p + 1) / slices;
}

}  // namespace pvll_cuda
