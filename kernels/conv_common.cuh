// Pieces the conv kernels share (conv_depthwise.cu, conv_dense.cu): shape checks, scratch
// from the caching allocator (scratch.cuh: released once the stream's work is done, the one
// Scratch of the project), and the deterministic second pass that sums per-block partial
// results in a fixed order (no float atomics anywhere).
#pragma once
#include <cstdint>

#include "cuda_check.cuh"
#include "scratch.cuh"

namespace pvll_cuda {

/** Output size along one axis, as pvll::conv_out_size (native/cpu/conv_shape.h). */
inline int conv_out_size(int in, int k, int stride, int padding, int dilation) {
  const long long span = (long long)in + 2LL * padding - (long long)dilation * (k - 1) - 1;
  return span < 0 ? 0 : (int)(span / stride + 1);
}

/**
 * Enqueues out[i] = (accumulate ? out[i] : 0) + sum over s = 0..parts-1, in that order, of
 * partial[s * len + i] (kernels/conv_common.cu); a status.
 */
int sum_partials(const char* op, const float* partial, float* out, long long len, int parts,
                 int accumulate, cudaStream_t stream);

}  // namespace pvll_cuda
