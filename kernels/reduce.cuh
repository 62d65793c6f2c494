// Deterministic reductions shared by the layer kernels: a fixed shuffle tree inside each warp,
// then warp 0 over the warp sums in warp order. Same inputs, same launch shape: same bits.
// No atomics. blockDim.x must be a multiple of 32 and at most 1024.
#pragma once
#include <cuda_runtime.h>

namespace pvll_cuda {

/** The sum of v over the warp, in lane 0 (other lanes hold partial sums). */
template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/** The sum of v over the block, valid in thread 0. shared holds 32 T; callable repeatedly. */
template <class T>
__device__ __forceinline__ T block_sum(T v, T* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  v = threadIdx.x < warps ? shared[threadIdx.x] : T(0);
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // shared may be reused by the next call
  return v;
}

}  // namespace pvll_cuda

namespace {
// One block: out[0] = the sum of partial[0..count) (thread-strided, then the block tree).
__global__ void sum_partials_kernel(const double* __restrict__ partial, int count, double* __restrict__ out) {
  double s = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  __shared__ double shared[32];
  s = pvll_cuda::block_sum(s, shared);
  if (threadIdx.x == 0) out[0] = s;
}
}  // namespace
