// Batch normalisation of NCHW float32 tensors on CUDA; semantics of native/include/pvll_norm.h
// (C API: pvll_cuda_layers.h). Outputs are written; dx is added into when accumulate_dx.
// y may alias x and dx may alias dy (when not accumulating).
//
// Training forward and backward run two kernels over the same grid (slices, C): block p of
// channel ch owns slice p of the channel's n*hw values. Pass 1 reduces its slice (per-thread
// float sums, block sum in double) into a scratch partial; pass 2 sums the channel's partials in
// slice order (deterministic, no atomics), derives the statistics (block 0 of a channel also
// writes save_mean/save_invstd and the running averages, or dgamma/dbeta) and applies the affine
// map to its own slice. As on the CPU, forward sums are shifted by the channel's first value so
// the one-pass variance stays accurate, and the backward sums dy * (x - mean).
// Synchronised batch norm (end of file): the same partials give a shard's double sums, and the
// batch's sums (all-reduced across ranks) give the statistics and dx.
// Build: cmake --build build (CMake globs kernels/*.cu); checked against the CPU kernels by
// java/src/test/java/dev/pvll/kernels/NormCudaTest.java and SyncBatchNormCudaTest.java on a GPU.
#include <algorithm>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "reduce.cuh"
#include "scratch.cuh"

using namespace pvll_cuda;

namespace {
constexpr int64_t kSliceValues = 4096;  // values of one channel per block (about 16 per thread)
constexpr int kMaxSlices = 128;

int slices_for(int64_t count) { return (int)std::min<int64_t>(kMaxSlices, (count + kSliceValues - 1) / kSliceValues); }

__global__ void bn_forward_partials(const float* __restrict__ x, int64_t c, int64_t hw, int64_t count,
                                    double* __restrict__ partial, float* __restrict__ shift_out) {
  const int p = blockIdx.x, slices = gridDim.x;
  const int64_t ch = blockIdx.y;
  const float shift = x[ch * hw];
  if (p == 0 && threadIdx.x == 0) shift_out[ch] = shift;  // pass 2 cannot read x: y may alias it
  int64_t begin, end;
  slice_bounds(count, p, slices, &begin, &end);
  float s1 = 0.f, s2 = 0.f;
  walk_channel(begin, end, ch, c, hw, [&](int64_t at) {
    const float u = x[at] - shift;
    s1 += u;
    s2 += u * u;
  });
  __shared__ double shared[32];
  const double t1 = block_sum((double)s1, shared);
  const double t2 = block_sum((double)s2, shared);
  if (threadIdx.x == 0) {
    partial[(ch * slices + p) * 2] = t1;
    partial[(ch * slices + p) * 2 + 1] = t2;
  }
}

__global__ void bn_forward_apply(const float* x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                 float* y, float* __restrict__ save_mean, float* __restrict__ save_invstd,
                                 float* __restrict__ running_mean, float* __restrict__ running_var, int64_t c,
                                 int64_t hw, int64_t count, const double* __restrict__ partial,
                                 const float* __restrict__ shift_in, float momentum, float eps) {
  const int p = blockIdx.x, slices = gridDim.x;
  const int64_t ch = blockIdx.y;
  __shared__ float s_mean, s_scale, s_offset;
  if (threadIdx.x == 0) {
    double sum = 0, sum_sq = 0;
    for (int q = 0; q < slices; ++q) {
      sum += partial[(ch * slices + q) * 2];
      sum_sq += partial[(ch * slices + q) * 2 + 1];
    }
    const double n = (double)count;
    const double mean_shifted = sum / n;
    const double var = fmax(0.0, sum_sq / n - mean_shifted * mean_shifted);
    const double mean = (double)shift_in[ch] + mean_shifted;
    const double invstd = 1.0 / sqrt(var + (double)eps);
    s_mean = (float)mean;
    s_scale = (float)(invstd * (gamma ? (double)gamma[ch] : 1.0));
    s_offset = beta ? beta[ch] : 0.f;
    if (p == 0) {
      save_mean[ch] = (float)mean;
      save_invstd[ch] = (float)invstd;
      if (running_mean) {
        running_mean[ch] = (float)((1 - (double)momentum) * running_mean[ch] + (double)momentum * mean);
        running_var[ch] =
            (float)((1 - (double)momentum) * running_var[ch] + (double)momentum * var * n / (n - 1));
      }
    }
  }
  __syncthreads();
  const float m = s_mean, scale = s_scale, offset = s_offset;
  int64_t begin, end;
  slice_bounds(count, p, slices, &begin, &end);
  walk_channel(begin, end, ch, c, hw, [&](int64_t at) { y[at] = (x[at] - m) * scale + offset; });
}

__global__ void bn_inference(const float* x, const float* __restrict__ gamma, const float* __restrict__ beta,
                             const float* __restrict__ running_mean, const float* __restrict__ running_var, float* y,
                             int64_t c, int64_t hw, float eps) {
  const int64_t plane = blockIdx.x, ch = plane % c;
  __shared__ float s_mean, s_scale, s_offset;
  if (threadIdx.x == 0) {
    const double invstd = 1.0 / sqrt((double)running_var[ch] + (double)eps);
    s_mean = running_mean[ch];
    s_scale = (float)(invstd * (gamma ? (double)gamma[ch] : 1.0));
    s_offset = beta ? beta[ch] : 0.f;
  }
  __syncthreads();
  const float m = s_mean, scale = s_scale, offset = s_offset;
  const float* xp = x + plane * hw;
  float* yp = y + plane * hw;
  for (int64_t i = blockIdx.y * (int64_t)blockDim.x + threadIdx.x; i < hw; i += (int64_t)gridDim.y * blockDim.x)
    yp[i] = (xp[i] - m) * scale + offset;
}

__global__ void bn_backward_partials(const float* __restrict__ x, const float* __restrict__ dy,
                                     const float* __restrict__ save_mean, int64_t c, int64_t hw, int64_t count,
                                     double* __restrict__ partial) {
  const int p = blockIdx.x, slices = gridDim.x;
  const int64_t ch = blockIdx.y;
  const float mean = save_mean[ch];
  int64_t begin, end;
  slice_bounds(count, p, slices, &begin, &end);
  float s1 = 0.f, s2 = 0.f;
  walk_channel(begin, end, ch, c, hw, [&](int64_t at) {
    const float d = dy[at];
    s1 += d;
    s2 += d * (x[at] - mean);
  });
  __shared__ double shared[32];
  const double t1 = block_sum((double)s1, shared);
  const double t2 = block_sum((double)s2, shared);
  if (threadIdx.x == 0) {
    partial[(ch * slices + p) * 2] = t1;
    partial[(ch * slices + p) * 2 + 1] = t2;
  }
}

__global__ void bn_backward_apply(const float* __restrict__ x, const float* dy, const float* __restrict__ save_mean,
                                  const float* __restrict__ save_invstd, const float* __restrict__ gamma, float* dx,
                                  float* __restrict__ dgamma, float* __restrict__ dbeta, int64_t c, int64_t hw,
                                  int64_t count, const double* __restrict__ partial, int accumulate) {
  const int p = blockIdx.x, slices = gridDim.x;
  const int64_t ch = blockIdx.y;
  __shared__ float s_a, s_b, s_k;
  if (threadIdx.x == 0) {
    double sum_dy = 0, sum_dy_xc = 0;
    for (int q = 0; q < slices; ++q) {
      sum_dy += partial[(ch * slices + q) * 2];
      sum_dy_xc += partial[(ch * slices + q) * 2 + 1];
    }
    const double n = (double)count;
    const double invstd = save_invstd[ch];
    const double a = (gamma ? (double)gamma[ch] : 1.0) * invstd;
    s_a = (float)a;
    s_b = (float)(-a * invstd * invstd * sum_dy_xc / n);
    s_k = (float)(-a * sum_dy / n);
    if (p == 0) {
      if (dgamma) dgamma[ch] = (float)(sum_dy_xc * invstd);
      if (dbeta) dbeta[ch] = (float)sum_dy;
    }
  }
  __syncthreads();
  const float a = s_a, b = s_b, k = s_k, mean = save_mean[ch];
  int64_t begin, end;
  slice_bounds(count, p, slices, &begin, &end);
  walk_channel(begin, end, ch, c, hw, [&](int64_t at) {
    const float d = a * dy[at] + (b * (x[at] - mean) + k);
    dx[at] = accumulate ? dx[at] + d : d;
  });
}

int check_shape(const char* op, int64_t n, int64_t c, int64_t hw) {
  CUDA_REQUIRE(n > 0 && c > 0 && hw > 0 && c <= 65535, "%s: bad shape (n=%lld c=%lld hw=%lld; c at most 65535)", op,
               (long long)n, (long long)c, (long long)hw);
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_cuda_batch_norm_train_forward(const float* x, const float* gamma, const float* beta, float* y,
                                                float* save_mean, float* save_invstd, float* running_mean,
                                                float* running_var, int64_t n, int64_t c, int64_t hw, float momentum,
                                                float eps, void* stream) {
  const char* op = "pvll_cuda_batch_norm_train_forward";
  if (int s = check_shape(op, n, c, hw)) return s;
  CUDA_REQUIRE(x && y && save_mean && save_invstd, "%s: NULL tensor", op);
  CUDA_REQUIRE(n * hw > 1, "%s: needs more than 1 value per channel, got n*hw=%lld", op, (long long)(n * hw));
  CUDA_REQUIRE((running_mean == nullptr) == (running_var == nullptr),
               "%s: running_mean and running_var must both be given or both be NULL", op);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const int64_t count = n * hw;
  const int slices = slices_for(count);
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * 2 * slices * c + sizeof(float) * c)) return s;
  double* partial = scratch.as<double>();
  float* shift = reinterpret_cast<float*>(partial + 2 * slices * c);
  const dim3 grid(slices, (unsigned)c);
  bn_forward_partials<<<grid, kLayerBlock, 0, st>>>(x, c, hw, count, partial, shift);
  CUDA_CHECK_LAUNCH(op);
  bn_forward_apply<<<grid, kLayerBlock, 0, st>>>(x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var,
                                                 c, hw, count, partial, shift, momentum, eps);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_batch_norm_inference_forward(const float* x, const float* gamma, const float* beta,
                                                    const float* running_mean, const float* running_var, float* y,
                                                    int64_t n, int64_t c, int64_t hw, float eps, void* stream) {
  const char* op = "pvll_cuda_batch_norm_inference_forward";
  CUDA_REQUIRE(n > 0 && c > 0 && hw > 0, "%s: bad shape (n=%lld c=%lld hw=%lld)", op, (long long)n, (long long)c,
               (long long)hw);
  CUDA_REQUIRE(x && y && running_mean && running_var, "%s: NULL tensor", op);
  const int64_t chunks = std::min<int64_t>(65535, (hw + kLayerBlock - 1) / kLayerBlock);
  const dim3 grid((unsigned)(n * c), (unsigned)chunks);
  CUDA_REQUIRE(n * c <= 0x7fffffffLL, "%s: too many planes (%lld)", op, (long long)(n * c));
  bn_inference<<<grid, kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(x, gamma, beta, running_mean, running_var, y, c, hw,
                                                               eps);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_batch_norm_backward(const float* x, const float* dy, const float* save_mean,
                                           const float* save_invstd, const float* gamma, float* dx, float* dgamma,
                                           float* dbeta, int64_t n, int64_t c, int64_t hw, int accumulate_dx,
                                           void* stream) {
  const char* op = "pvll_cuda_batch_norm_backward";
  if (int s = check_shape(op, n, c, hw)) return s;
  CUDA_REQUIRE(x && dy && save_mean && save_invstd && dx, "%s: NULL tensor", op);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const int64_t count = n * hw;
  const int slices = slices_for(count);
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * 2 * slices * c)) return s;
  double* partial = scratch.as<double>();
  const dim3 grid(slices, (unsigned)c);
  bn_backward_partials<<<grid, kLayerBlock, 0, st>>>(x, dy, save_mean, c, hw, count, partial);
  CUDA_CHECK_LAUNCH(op);
  bn_backward_apply<<<grid, kLayerBlock, 0, st>>>(x, dy, save_mean, save_invstd, gamma, dx, dgamma, dbeta, c, hw,
                                                  count, partial, accumulate_dx);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

// ---------------------------------------------------------------- synchronised batch norm
// The per-shard sums reuse the partial kernels above (same slices, same order), then one thread
// per channel sums its partials in slice order: deterministic, no atomics. stats_finish is one
// thread per channel; backward_apply runs over the grid of the fused backward, reading the
// batch's sums instead of partials.
namespace {
__global__ void bn_stats_combine(const double* __restrict__ partial, const float* __restrict__ shift_in, int slices,
                                 int64_t c, int64_t count, double* __restrict__ stats) {
  const int64_t ch = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (ch == 0) stats[2 * c] = (double)count;
  if (ch >= c) return;
  if (count == 0) {
    stats[ch] = 0;
    stats[c + ch] = 0;
    return;
  }
  double sum_u = 0, sum_uu = 0;
  for (int q = 0; q < slices; ++q) {
    sum_u += partial[(ch * slices + q) * 2];
    sum_uu += partial[(ch * slices + q) * 2 + 1];
  }
  const double n = (double)count;
  const double mean_shifted = sum_u / n;
  const double m2 = fmax(0.0, sum_uu - mean_shifted * sum_u);
  const double mean = (double)shift_in[ch] + mean_shifted;
  stats[ch] = n * mean;
  stats[c + ch] = m2 + n * mean * mean;
}

__global__ void bn_stats_finish(const double* __restrict__ stats, float* __restrict__ save_mean,
                                float* __restrict__ save_var, float* __restrict__ save_invstd,
                                float* __restrict__ running_mean, float* __restrict__ running_var, int64_t c,
                                float momentum, float eps) {
  const int64_t ch = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (ch >= c) return;
  const double n = stats[2 * c];
  const double mean = stats[ch] / n;
  const double var = fmax(0.0, stats[c + ch] / n - mean * mean);
  save_mean[ch] = (float)mean;
  save_var[ch] = (float)var;
  save_invstd[ch] = (float)(1.0 / sqrt(var + (double)eps));
  if (running_mean) {
    running_mean[ch] = (float)((1 - (double)momentum) * running_mean[ch] + (double)momentum * mean);
    running_var[ch] = (float)((1 - (double)momentum) * running_var[ch] + (double)momentum * var * n / (n - 1));
  }
}

__global__ void bn_backward_sums_combine(const double* __restrict__ partial, const float* __restrict__ save_invstd,
                                         int slices, int64_t c, int64_t count, double* __restrict__ sums,
                                         float* __restrict__ dgamma, float* __restrict__ dbeta) {
  const int64_t ch = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (ch == 0) sums[2 * c] = (double)count;
  if (ch >= c) return;
  double sum_dy = 0, sum_dy_xc = 0;
  for (int q = 0; count > 0 && q < slices; ++q) {  // an empty shard has no partials
    sum_dy += partial[(ch * slices + q) * 2];
    sum_dy_xc += partial[(ch * slices + q) * 2 + 1];
  }
  const double sum_dy_xhat = sum_dy_xc * (double)save_invstd[ch];
  sums[ch] = sum_dy;
  sums[c + ch] = sum_dy_xhat;
  if (dgamma) dgamma[ch] = (float)sum_dy_xhat;
  if (dbeta) dbeta[ch] = (float)sum_dy;
}

__global__ void bn_backward_apply_sums(const float* __restrict__ x, const float* dy,
                                       const float* __restrict__ save_mean, const float* __restrict__ save_invstd,
                                       const float* __restrict__ gamma, const double* __restrict__ sums, float* dx,
                                       int64_t c, int64_t hw, int64_t count, int accumulate) {
  const int p = blockIdx.x, slices = gridDim.x;
  const int64_t ch = blockIdx.y;
  __shared__ float s_a, s_b, s_k;
  if (threadIdx.x == 0) {
    const double n = sums[2 * c];
    const double invstd = save_invstd[ch];
    const double a = (gamma ? (double)gamma[ch] : 1.0) * invstd;
    s_a = (float)a;
    s_b = (float)(-a * invstd * sums[c + ch] / n);
    s_k = (float)(-a * sums[ch] / n);
  }
  __syncthreads();
  const float a = s_a, b = s_b, k = s_k, mean = save_mean[ch];
  int64_t begin, end;
  slice_bounds(count, p, slices, &begin, &end);
  walk_channel(begin, end, ch, c, hw, [&](int64_t at) {
    const float d = a * dy[at] + (b * (x[at] - mean) + k);
    dx[at] = accumulate ? dx[at] + d : d;
  });
}

int check_sync_shape(const char* op, int64_t n, int64_t c, int64_t hw) {
  CUDA_REQUIRE(n >= 0 && c > 0 && hw > 0 && c <= 65535, "%s: bad shape (n=%lld c=%lld hw=%lld; c at most 65535)",
               op, (long long)n, (long long)c, (long long)hw);
  return PVLL_OK;
}

unsigned channel_blocks(int64_t c) { return (unsigned)((c + kLayerBlock - 1) / kLayerBlock); }
}  // namespace

PVLL_API int pvll_cuda_batch_norm_stats(const float* x, double* stats, int64_t n, int64_t c, int64_t hw,
                                        void* stream) {
  const char* op = "pvll_cuda_batch_norm_stats";
  if (int s = check_sync_shape(op, n, c, hw)) return s;
  CUDA_REQUIRE(stats && (x || n == 0), "%s: NULL tensor", op);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const int64_t count = n * hw;
  const int slices = std::max(1, slices_for(count));
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * 2 * slices * c + sizeof(float) * c)) return s;
  double* partial = scratch.as<double>();
  float* shift = reinterpret_cast<float*>(partial + 2 * slices * c);
  if (count > 0) {
    bn_forward_partials<<<dim3(slices, (unsigned)c), kLayerBlock, 0, st>>>(x, c, hw, count, partial, shift);
    CUDA_CHECK_LAUNCH(op);
  }
  bn_stats_combine<<<channel_blocks(c), kLayerBlock, 0, st>>>(partial, shift, slices, c, count, stats);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_batch_norm_stats_finish(const double* stats, float* save_mean, float* save_var,
                                               float* save_invstd, float* running_mean, float* running_var, int64_t c,
                                               float momentum, float eps, void* stream) {
  const char* op = "pvll_cuda_batch_norm_stats_finish";
  CUDA_REQUIRE(c > 0 && stats && save_mean && save_var && save_invstd, "%s: bad arguments (c=%lld)", op, (long long)c);
  CUDA_REQUIRE((running_mean == nullptr) == (running_var == nullptr),
               "%s: running_mean and running_var must both be given or both be NULL", op);
  bn_stats_finish<<<channel_blocks(c), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(
      stats, save_mean, save_var, save_invstd, running_mean, running_var, c, momentum, eps);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_batch_norm_backward_stats(const float* x, const float* dy, const float* save_mean,
                                                 const float* save_invstd, double* sums, float* dgamma, float* dbeta,
                                                 int64_t n, int64_t c, int64_t hw, void* stream) {
  const char* op = "pvll_cuda_batch_norm_backward_stats";
  if (int s = check_sync_shape(op, n, c, hw)) return s;
  CUDA_REQUIRE(save_mean && save_invstd && sums && ((x && dy) || n == 0), "%s: NULL tensor", op);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const int64_t count = n * hw;
  const int slices = std::max(1, slices_for(count));
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * 2 * slices * c)) return s;
  double* partial = scratch.as<double>();
  if (count > 0) {
    bn_backward_partials<<<dim3(slices, (unsigned)c), kLayerBlock, 0, st>>>(x, dy, save_mean, c, hw, count, partial);
    CUDA_CHECK_LAUNCH(op);
  }
  bn_backward_sums_combine<<<channel_blocks(c), kLayerBlock, 0, st>>>(partial, save_invstd, slices, c, count, sums,
                                                                     dgamma, dbeta);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_batch_norm_backward_apply(const float* x, const float* dy, const float* save_mean,
                                                 const float* save_invstd, const float* gamma, const double* sums,
                                                 float* dx, int64_t n, int64_t c, int64_t hw, int accumulate_dx,
                                                 void* stream) {
  const char* op = "pvll_cuda_batch_norm_backward_apply";
  if (int s = check_sync_shape(op, n, c, hw)) return s;
  CUDA_REQUIRE(save_mean && save_invstd && sums && ((x && dy && dx) || n == 0), "%s: NULL tensor", op);
  const int64_t count = n * hw;
  if (count == 0) return PVLL_OK;
  bn_backward_apply_sums<<<dim3(slices_for(count), (unsigned)c), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(
      x, dy, save_mean, save_invstd, gamma, sums, dx, c, hw, count, accumulate_dx);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}
