// Optimiser steps and gradient norms over flat float32 buffers on CUDA; semantics of
// native/include/pvll_optim.h (C API: pvll_cuda_layers.h). The steps are fused elementwise
// kernels with the CPU kernel's float formulas (Adam's bias corrections computed on the host in
// double exactly as there; __fsqrt_rn/__fdiv_rn so --use_fast_math does not approximate them).
//
// Sums of squares over many buffers: each buffer is cut into fixed slices (by its size only),
// one block per slice sums squares (float per thread, double across the block) into a scratch
// partial; one block then sums all partials in order. Deterministic, no atomics, no host sync.
// The pointer table travels as a kernel argument, 64 buffers per launch.
// pvll_cuda_clip_grad_norm is clip_grad_norm_ without a host round trip: the norm and the factor
// max_norm / (norm + 1e-6) are computed on the device and the scale kernel reads the factor
// there, doing nothing when it is not below 1.
// Build: cmake --build build; checked against the CPU kernels by OptimCudaTest.
#include <algorithm>
#include <cmath>
#include <vector>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "reduce.cuh"
#include "scratch.cuh"
#include "sgd_element.cuh"

using namespace pvll_cuda;

namespace {

__global__ void sgd_kernel(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ buf,
                           long long n, float lr, float momentum, float weight_decay) {
  for (long long i = global_thread(); i < n; i += grid_threads()) sgd_element(param, grad, buf, i, lr, momentum, weight_decay);
}

__global__ void adam_kernel(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, long long n, float step_size, float inv_sqrt_bc2, float beta1,
                            float beta2, float eps, float weight_decay) {
  const float one_minus_b1 = 1.f - beta1, one_minus_b2 = 1.f - beta2;
  for (long long i = global_thread(); i < n; i += grid_threads()) {
    const float g = grad[i] + weight_decay * param[i];
    const float mi = beta1 * m[i] + one_minus_b1 * g;
    const float vi = beta2 * v[i] + one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= __fdiv_rn(step_size * mi, __fsqrt_rn(vi) * inv_sqrt_bc2 + eps);
  }
}

constexpr int kTable = 64;
constexpr long long kSlice = 8192;
constexpr int kMaxSlicesPerBuffer = 256;

/** Up to kTable buffers and the blocks each one gets (block_first[k] .. block_first[k+1]). */
struct BufferTable {
  float* ptr[kTable];
  long long size[kTable];
  int block_first[kTable + 1];
  int count;
};

int slices_of(long long size) {
  return size <= 0 ? 0 : (int)std::min<long long>(kMaxSlicesPerBuffer, (size + kSlice - 1) / kSlice);
}

__device__ __forceinline__ int buffer_of_block(const BufferTable& t, int block) {
  int k = 0;
  while (k + 1 < t.count && block >= t.block_first[k + 1]) ++k;
  return k;
}

__global__ void sum_squares_partials(BufferTable t, double* __restrict__ partial) {
  const int k = buffer_of_block(t, blockIdx.x);
  int64_t begin, end;
  slice_bounds(t.size[k], blockIdx.x - t.block_first[k], t.block_first[k + 1] - t.block_first[k], &begin, &end);
  const float* p = t.ptr[k];
  float s = 0.f;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) s += p[i] * p[i];
  __shared__ double shared[32];
  const double total = block_sum((double)s, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// alpha_on_device: when not NULL, the factor is read there and values >= 1 mean "leave as is".
__global__ void scale_kernel(BufferTable t, float alpha, const float* __restrict__ alpha_on_device) {
  float a = alpha;
  if (alpha_on_device) {
    a = *alpha_on_device;
    if (!(a < 1.f)) return;
  }
  const int k = buffer_of_block(t, blockIdx.x);
  int64_t begin, end;
  slice_bounds(t.size[k], blockIdx.x - t.block_first[k], t.block_first[k + 1] - t.block_first[k], &begin, &end);
  float* p = t.ptr[k];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) p[i] *= a;
}

__global__ void clip_factor_kernel(const double* __restrict__ sum_squares, float max_norm, double* __restrict__ norm_out,
                                   float* __restrict__ factor) {
  const double norm = sqrt(sum_squares[0]);
  norm_out[0] = norm;
  const double coef = (double)max_norm / (norm + 1e-6);
  factor[0] = coef < 1 ? (float)coef : 1.f;
}

/** Cuts the buffers into tables of kTable; calls f(table, blocks, first_partial) per table. */
template <class F>
int for_tables(const char* op, float* const* buffers, const int64_t* sizes, int count, F&& f) {
  CUDA_REQUIRE(count >= 0 && (count == 0 || (buffers && sizes)), "%s: bad arguments", op);
  for (int i = 0; i < count; ++i)
    CUDA_REQUIRE(sizes[i] >= 0 && (sizes[i] == 0 || buffers[i]), "%s: buffer %d is NULL or sized %lld", op, i,
                 (long long)sizes[i]);
  int first_partial = 0;
  for (int base = 0; base < count; base += kTable) {
    BufferTable t{};
    t.count = std::min(kTable, count - base);
    int blocks = 0;
    for (int k = 0; k < t.count; ++k) {
      t.ptr[k] = buffers[base + k];
      t.size[k] = sizes[base + k];
      t.block_first[k] = blocks;
      blocks += slices_of(sizes[base + k]);
    }
    t.block_first[t.count] = blocks;
    if (blocks == 0) continue;
    if (int s = f(t, blocks, first_partial)) return s;
    first_partial += blocks;
  }
  return PVLL_OK;
}

int total_partials(const int64_t* sizes, int count) {
  int blocks = 0;
  for (int i = 0; i < count; ++i) blocks += slices_of(sizes[i]);
  return blocks;
}

/** out[0] (device) = the sum of squares of the buffers. */
int sum_squares(const char* op, float* const* buffers, const int64_t* sizes, int count, double* out, cudaStream_t st) {
  CUDA_REQUIRE(out, "%s: out is NULL", op);
  CUDA_REQUIRE(count >= 0 && (count == 0 || sizes), "%s: bad arguments", op);
  const int partials = total_partials(sizes, count);
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * std::max(1, partials))) return s;
  double* partial = scratch.as<double>();
  int status = for_tables(op, buffers, sizes, count, [&](const BufferTable& t, int blocks, int first) -> int {
    sum_squares_partials<<<blocks, kLayerBlock, 0, st>>>(t, partial + first);
    CUDA_CHECK_LAUNCH(op);
    return PVLL_OK;
  });
  if (status) return status;
  sum_partials_kernel<<<1, kLayerBlock, 0, st>>>(partial, partials, out);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_cuda_sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, float lr,
                                float momentum, float weight_decay, void* stream) {
  CUDA_REQUIRE(n >= 0 && (n == 0 || (param && grad)), "pvll_cuda_sgd_step: bad arguments (n=%lld)", (long long)n);
  CUDA_REQUIRE(momentum_buf || momentum == 0.f, "pvll_cuda_sgd_step: momentum %g needs a momentum buffer",
               (double)momentum);
  if (n == 0) return PVLL_OK;
  sgd_kernel<<<pvll_grid_for(n, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(param, grad, momentum_buf, n, lr,
                                                                                      momentum, weight_decay);
  CUDA_CHECK_LAUNCH("pvll_cuda_sgd_step");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_adam_step(float* param, const float* grad, float* m, float* v, int64_t n, int64_t step, float lr,
                                 float beta1, float beta2, float eps, float weight_decay, void* stream) {
  CUDA_REQUIRE(n >= 0 && (n == 0 || (param && grad && m && v)), "pvll_cuda_adam_step: bad arguments (n=%lld)",
               (long long)n);
  CUDA_REQUIRE(step >= 1, "pvll_cuda_adam_step: step counts from 1, got %lld", (long long)step);
  if (n == 0) return PVLL_OK;
  const double bc1 = 1 - std::pow(double(beta1), double(step));
  const double bc2 = 1 - std::pow(double(beta2), double(step));
  const float step_size = float(double(lr) / bc1);
  const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
  adam_kernel<<<pvll_grid_for(n, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(
      param, grad, m, v, n, step_size, inv_sqrt_bc2, beta1, beta2, eps, weight_decay);
  CUDA_CHECK_LAUNCH("pvll_cuda_adam_step");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_sum_squares(const float* const* buffers, const int64_t* sizes, int count, double* out,
                                   void* stream) {
  return sum_squares("pvll_cuda_sum_squares", const_cast<float* const*>(buffers), sizes, count, out,
                     ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_scale_buffers(float* const* buffers, const int64_t* sizes, int count, float alpha,
                                     void* stream) {
  const char* op = "pvll_cuda_scale_buffers";
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  return for_tables(op, buffers, sizes, count, [&](const BufferTable& t, int blocks, int) -> int {
    scale_kernel<<<blocks, kLayerBlock, 0, st>>>(t, alpha, nullptr);
    CUDA_CHECK_LAUNCH(op);
    return PVLL_OK;
  });
}

PVLL_API int pvll_cuda_clip_grad_norm(float* const* buffers, const int64_t* sizes, int count, float max_norm,
                                      double* norm_out, void* stream) {
  const char* op = "pvll_cuda_clip_grad_norm";
  CUDA_REQUIRE(norm_out, "%s: norm_out is NULL", op);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  Scratch scratch(st);  // [0]: the sum of squares (double), [1]: the factor (float)
  if (int s = scratch.alloc(2 * sizeof(double))) return s;
  double* sum = scratch.as<double>();
  float* factor = reinterpret_cast<float*>(sum + 1);
  if (int s = sum_squares(op, buffers, sizes, count, sum, st)) return s;
  clip_factor_kernel<<<1, 1, 0, st>>>(sum, max_norm, norm_out, factor);
  CUDA_CHECK_LAUNCH(op);
  return for_tables(op, buffers, sizes, count, [&](const BufferTable& t, int blocks, int) -> int {
    scale_kernel<<<blocks, kLayerBlock, 0, st>>>(t, 1.f, factor);
    CUDA_CHECK_LAUNCH(op);
    return PVLL_OK;
  });
}
