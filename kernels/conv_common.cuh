// Pieces the conv kernels share (conv_depthwise.cu, conv_dense.cu): shape checks, scratch
// from the caching allocator, and the deterministic second pass that sums per-block partial
// results in a fixed order (no float atomics anywhere).
#pragma once
#include <cstdint>

#include "cuda_check.cuh"

namespace pvll_cuda {

/** Output size along one axis, as pvll::conv_out_size (native/cpu/conv_shape.h). */
inline int conv_out_size(int in, int k, int stride, int padding, int dilation) {
  const long long span = (long long)in + 2LL * padding - (long long)dilation * (k - 1) - 1;
  return span < 0 ? 0 : (int)(span / stride + 1);
}

/**
 * Scratch device memory for the duration of one enqueued op. It goes back to the cache when
 * this object dies, while kernels that use it may still be queued: safe because the next user
 * of the block enqueues on the same stream (one stream per device, see pvll_cuda_conv.h).
 */
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (ptr_) pvll_cuda_free(device_, ptr_);
  }
  /** Allocates count floats on the current device; returns a status (message already set). */
  int allocate(const char* op, long long count) {
    CUDA_CHECK(op, cudaGetDevice(&device_));
    void* p = nullptr;
    const int status = pvll_cuda_malloc(device_, count * (long long)sizeof(float), &p);
    if (status != PVLL_OK) return status;
    ptr_ = p;
    return PVLL_OK;
  }
  float* data() const { return static_cast<float*>(ptr_); }

 private:
  int device_ = 0;
  void* ptr_ = nullptr;
};

/**
 * Enqueues out[i] = (accumulate ? out[i] : 0) + sum over s = 0..parts-1, in that order, of
 * partial[s * len + i] (kernels/conv_common.cu); a status.
 */
int sum_partials(const char* op, const float* partial, float* out, long long len, int parts,
                 int accumulate, cudaStream_t stream);

}  // namespace pvll_cuda
