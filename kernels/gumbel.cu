// Gumbel noise and the fused Gumbel-softmax + argmax on CUDA, with the random-stream contract of
// native/include/pvll_gumbel.h (C API: pvll_cuda_layers.h): the same Philox4x32-10 code (the
// header's __host__ __device__ functions), the same double-precision -log(-log U) rounded to
// float and the same per-row double arithmetic as native/cpu/gumbel.cpp, so a (seed, counter)
// gives the same op indices on either device (weights agree to the last bits of exp/log).
// Noise: one thread per value. Fused op: one thread per row (rows are few: 2 x 14 edges),
// three passes over the row: noise and argmax, the softmax sum, the weights. The noise is kept
// in gumbel_out, or in weights_out until the last pass overwrites it, as on the CPU.
// Build: cmake --build build; checked against the CPU kernel by SamplingCudaTest.
#include <cmath>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "pvll_gumbel.h"

using namespace pvll_cuda;

namespace {

__device__ __forceinline__ float gumbel_of_bits(uint32_t u) {
  const double uniform = ((double)u + 0.5) * (1.0 / 4294967296.0);
  return (float)-log(-log(uniform));
}

__device__ __forceinline__ float gumbel_at(uint64_t seed, uint64_t counter, uint64_t element) {
  uint32_t words[4];
  pvll_gumbel_block_bits(seed, counter, element >> 2, words);
  return gumbel_of_bits(words[element & 3]);
}

__global__ void gumbel_noise_kernel(uint64_t seed, uint64_t counter, long long offset, long long n, float* g) {
  for (long long i = global_thread(); i < n; i += grid_threads()) g[i] = gumbel_at(seed, counter, (uint64_t)(offset + i));
}

__global__ void gumbel_softmax_argmax_kernel(const float* __restrict__ logits, long long rows, long long cols,
                                             uint64_t seed, uint64_t counter, float tau, float* gumbel_out,
                                             float* weights_out, float* __restrict__ indices_out) {
  const double t = (double)tau;
  for (long long r = global_thread(); r < rows; r += grid_threads()) {
    const float* x = logits + r * cols;
    float* g = gumbel_out ? gumbel_out + r * cols : weights_out + r * cols;
    float* w = weights_out + r * cols;
    uint32_t words[4];
    long long best = 0;
    double top = 0;
    for (long long c = 0; c < cols; ++c) {
      const uint64_t e = (uint64_t)(r * cols + c);
      if (c == 0 || (e & 3) == 0) pvll_gumbel_block_bits(seed, counter, e >> 2, words);
      g[c] = gumbel_of_bits(words[e & 3]);
      const double z = ((double)x[c] + (double)g[c]) / t;
      if (c == 0 || z > top) {
        top = z;
        best = c;
      }
    }
    double sum = 0;
    for (long long c = 0; c < cols; ++c) sum += exp(((double)x[c] + (double)g[c]) / t - top);
    for (long long c = 0; c < cols; ++c) w[c] = (float)(exp(((double)x[c] + (double)g[c]) / t - top) / sum);
    indices_out[r] = (float)best;
  }
}

}  // namespace

PVLL_API int pvll_cuda_gumbel_noise(uint64_t seed, uint64_t counter, int64_t offset, int64_t n, float* g, void* stream) {
  CUDA_REQUIRE(offset >= 0 && n >= 0 && (n == 0 || g), "pvll_cuda_gumbel_noise: bad arguments (offset=%lld, n=%lld)",
               (long long)offset, (long long)n);
  if (n == 0) return PVLL_OK;
  gumbel_noise_kernel<<<pvll_grid_for(n, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(seed, counter, offset,
                                                                                               n, g);
  CUDA_CHECK_LAUNCH("pvll_cuda_gumbel_noise");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_gumbel_softmax_argmax(const float* logits, int64_t rows, int64_t cols, uint64_t seed,
                                             uint64_t counter, float tau, float* gumbel_out, float* weights_out,
                                             float* indices_out, void* stream) {
  const char* op = "pvll_cuda_gumbel_softmax_argmax";
  CUDA_REQUIRE(rows >= 0 && cols >= 1, "%s: bad shape [%lld, %lld]", op, (long long)rows, (long long)cols);
  CUDA_REQUIRE(tau > 0.f && std::isfinite(tau), "%s: tau must be positive and finite, got %g", op, (double)tau);
  CUDA_REQUIRE(rows == 0 || (logits && weights_out && indices_out), "%s: null pointer", op);
  if (rows == 0) return PVLL_OK;
  gumbel_softmax_argmax_kernel<<<pvll_grid_for(rows, 64), 64, 0, ::pvll_cuda::stream_of(stream)>>>(
      logits, rows, cols, seed, counter, tau, gumbel_out, weights_out, indices_out);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}
