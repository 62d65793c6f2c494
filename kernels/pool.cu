// Pooling and crops of NCHW float32 tensors on CUDA; semantics of native/include/pvll_pool.h and
// pvll_spatial.h (C API: pvll_cuda_layers.h): 3x3 max and average pools (padding 1, stride 1 or
// 2, averages exclude the padding), global average pool, the general k x k average pool and the
// crop used by FactorizedReduce and the auxiliary head.
//
// One thread per output value going forward. Backward passes gather instead of scattering: one
// thread per dx value sums, in increasing (output row, output column) order, the dy of every
// window that covers it, starting from dx when accumulating - the order of the naive CPU
// references, with no atomics. The max pool's backward first writes each window's argmax
// (first maximum in row-major order; NaN wins, as in PyTorch) into scratch.
// Divisions use __fdiv_rn, so --use_fast_math does not change them.
// Build: cmake --build build; checked against the CPU kernels by PoolCudaTest (pools and crops).
#include <algorithm>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "reduce.cuh"
#include "scratch.cuh"

using namespace pvll_cuda;

namespace {

__device__ __forceinline__ int out_size3(int size, int stride) { return (size - 1) / stride + 1; }

/** Index (ih * w + iw) in the plane of the first maximum of the window of output (oh, ow). */
__device__ __forceinline__ int window_argmax(const float* plane, int h, int w, int stride, int oh, int ow) {
  int best = -1;
  float best_value = -INFINITY;
  for (int ih = oh * stride - 1; ih <= oh * stride + 1; ++ih) {
    if (ih < 0 || ih >= h) continue;
    for (int iw = ow * stride - 1; iw <= ow * stride + 1; ++iw) {
      if (iw < 0 || iw >= w) continue;
      const float v = plane[ih * w + iw];
      if (best < 0) best = ih * w + iw;
      if (v > best_value || isnan(v)) {
        best_value = v;
        best = ih * w + iw;
      }
    }
  }
  return best;
}

__device__ __forceinline__ int count3(int size, int center) {
  return (center - 1 >= 0) + 1 + (center + 1 < size);
}

/** Output rows [lo, hi] of a 3x3 pool whose window covers input row i. */
__device__ __forceinline__ void covering3(int i, int stride, int out, int* lo, int* hi) {
  *lo = i <= 1 ? 0 : (i - 1 + stride - 1) / stride;
  *hi = min(out - 1, (i + 1) / stride);
}

__global__ void max_pool3x3_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long planes, int h,
                                           int w, int stride) {
  const int ho = out_size3(h, stride), wo = out_size3(w, stride);
  const long long total = planes * ho * wo;
  for (long long o = global_thread(); o < total; o += grid_threads()) {
    const long long p = o / ((long long)ho * wo);
    const int r = (int)(o - p * ho * wo), oh = r / wo, ow = r - oh * wo;
    const float* plane = x + p * h * w;
    y[o] = plane[window_argmax(plane, h, w, stride, oh, ow)];
  }
}

__global__ void max_pool3x3_argmax_kernel(const float* __restrict__ x, int* __restrict__ argmax, long long planes,
                                          int h, int w, int stride) {
  const int ho = out_size3(h, stride), wo = out_size3(w, stride);
  const long long total = planes * ho * wo;
  for (long long o = global_thread(); o < total; o += grid_threads()) {
    const long long p = o / ((long long)ho * wo);
    const int r = (int)(o - p * ho * wo), oh = r / wo, ow = r - oh * wo;
    argmax[o] = window_argmax(x + p * h * w, h, w, stride, oh, ow);
  }
}

__global__ void max_pool3x3_backward_kernel(const int* __restrict__ argmax, const float* __restrict__ dy,
                                            float* __restrict__ dx, long long planes, int h, int w, int stride,
                                            int accumulate) {
  const int ho = out_size3(h, stride), wo = out_size3(w, stride);
  const long long total = planes * h * w;
  for (long long i = global_thread(); i < total; i += grid_threads()) {
    const long long p = i / ((long long)h * w);
    const int at = (int)(i - p * h * w), ih = at / w, iw = at - ih * w;
    int oh0, oh1, ow0, ow1;
    covering3(ih, stride, ho, &oh0, &oh1);
    covering3(iw, stride, wo, &ow0, &ow1);
    const int* am = argmax + p * ho * wo;
    const float* g = dy + p * ho * wo;
    float acc = accumulate ? dx[i] : 0.f;
    for (int oh = oh0; oh <= oh1; ++oh)
      for (int ow = ow0; ow <= ow1; ++ow)
        if (am[oh * wo + ow] == at) acc += g[oh * wo + ow];
    dx[i] = acc;
  }
}

__global__ void avg_pool3x3_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long planes, int h,
                                           int w, int stride) {
  const int ho = out_size3(h, stride), wo = out_size3(w, stride);
  const long long total = planes * ho * wo;
  for (long long o = global_thread(); o < total; o += grid_threads()) {
    const long long p = o / ((long long)ho * wo);
    const int r = (int)(o - p * ho * wo), oh = r / wo, ow = r - oh * wo;
    const float* plane = x + p * h * w;
    float sum = 0.f;
    for (int ih = oh * stride - 1; ih <= oh * stride + 1; ++ih) {
      if (ih < 0 || ih >= h) continue;
      for (int iw = ow * stride - 1; iw <= ow * stride + 1; ++iw)
        if (iw >= 0 && iw < w) sum += plane[ih * w + iw];
    }
    y[o] = __fdiv_rn(sum, (float)(count3(h, oh * stride) * count3(w, ow * stride)));
  }
}

__global__ void avg_pool3x3_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, long long planes,
                                            int h, int w, int stride, int accumulate) {
  const int ho = out_size3(h, stride), wo = out_size3(w, stride);
  const long long total = planes * h * w;
  for (long long i = global_thread(); i < total; i += grid_threads()) {
    const long long p = i / ((long long)h * w);
    const int at = (int)(i - p * h * w), ih = at / w, iw = at - ih * w;
    int oh0, oh1, ow0, ow1;
    covering3(ih, stride, ho, &oh0, &oh1);
    covering3(iw, stride, wo, &ow0, &ow1);
    const float* g = dy + p * ho * wo;
    float acc = accumulate ? dx[i] : 0.f;
    for (int oh = oh0; oh <= oh1; ++oh) {
      const int rows = count3(h, oh * stride);
      for (int ow = ow0; ow <= ow1; ++ow)
        acc += __fdiv_rn(g[oh * wo + ow], (float)(rows * count3(w, ow * stride)));
    }
    dx[i] = acc;
  }
}

// One warp per plane, lanes strided over the plane, a fixed shuffle tree: deterministic.
__global__ void global_avg_pool_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long planes,
                                               long long hw, float inv) {
  const long long warps = grid_threads() / 32;
  const int lane = threadIdx.x & 31;
  for (long long p = global_thread() / 32; p < planes; p += warps) {
    const float* plane = x + p * hw;
    float s = 0.f;
    for (long long i = lane; i < hw; i += 32) s += plane[i];
    s = warp_sum(s);
    if (lane == 0) y[p] = s * inv;
  }
}

__global__ void global_avg_pool_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, long long planes,
                                                long long hw, float inv, int accumulate) {
  const long long total = planes * hw;
  for (long long i = global_thread(); i < total; i += grid_threads()) {
    const float d = dy[i / hw] * inv;
    dx[i] = accumulate ? dx[i] + d : d;
  }
}

// ---- the general k x k average pool (count_include_pad = false) and the crop

__global__ void avg_pool_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long planes, int h,
                                        int w, int k, int s, int pad, int oh, int ow) {
  const long long total = planes * oh * ow;
  for (long long o = global_thread(); o < total; o += grid_threads()) {
    const long long p = o / ((long long)oh * ow);
    const int r = (int)(o - p * oh * ow), i = r / ow, j = r - i * ow;
    const int r0 = max(i * s - pad, 0), r1 = min(i * s - pad + k, h);
    const int c0 = max(j * s - pad, 0), c1 = min(j * s - pad + k, w);
    const float* plane = x + p * h * w;
    float sum = 0.f;
    for (int rr = r0; rr < r1; ++rr)
      for (int q = c0; q < c1; ++q) sum += plane[rr * w + q];
    y[o] = __fdiv_rn(sum, (float)((r1 - r0) * (c1 - c0)));
  }
}

/** Outputs [lo, hi] along one axis whose window (stride s, padding pad, size k) covers input i. */
__device__ __forceinline__ void covering(int i, int k, int s, int pad, int out, int* lo, int* hi) {
  const int first = i + pad - k + 1;  // smallest window start that still reaches i
  *lo = first <= 0 ? 0 : (first + s - 1) / s;
  *hi = min(out - 1, (i + pad) / s);
}

__global__ void avg_pool_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, long long planes, int h,
                                         int w, int k, int s, int pad, int oh, int ow, int accumulate) {
  const long long total = planes * h * w;
  for (long long t = global_thread(); t < total; t += grid_threads()) {
    const long long p = t / ((long long)h * w);
    const int at = (int)(t - p * h * w), r = at / w, q = at - r * w;
    int i0, i1, j0, j1;
    covering(r, k, s, pad, oh, &i0, &i1);
    covering(q, k, s, pad, ow, &j0, &j1);
    const float* g = dy + p * oh * ow;
    float acc = accumulate ? dx[t] : 0.f;
    for (int i = i0; i <= i1; ++i) {
      const int rows = min(i * s - pad + k, h) - max(i * s - pad, 0);
      for (int j = j0; j <= j1; ++j) {
        const int cols = min(j * s - pad + k, w) - max(j * s - pad, 0);
        acc += __fdiv_rn(g[i * ow + j], (float)(rows * cols));
      }
    }
    dx[t] = acc;
  }
}

__global__ void crop_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long planes, int h, int w,
                                    int top, int left, int oh, int ow) {
  const long long total = planes * oh * ow;
  for (long long o = global_thread(); o < total; o += grid_threads()) {
    const long long p = o / ((long long)oh * ow);
    const int r = (int)(o - p * oh * ow), i = r / ow, j = r - i * ow;
    y[o] = x[p * h * w + (long long)(top + i) * w + left + j];
  }
}

__global__ void crop_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, long long planes, int h,
                                     int w, int top, int left, int oh, int ow, int accumulate) {
  const long long total = planes * h * w;
  for (long long t = global_thread(); t < total; t += grid_threads()) {
    const long long p = t / ((long long)h * w);
    const int at = (int)(t - p * h * w), i = at / w - top, j = at % w - left;
    const bool inside = i >= 0 && i < oh && j >= 0 && j < ow;
    const float d = inside ? dy[p * oh * ow + (long long)i * ow + j] : 0.f;
    dx[t] = accumulate ? dx[t] + d : d;
  }
}

int check3(const char* op, const void* a, const void* b, int64_t planes, int64_t h, int64_t w, int stride) {
  CUDA_REQUIRE(planes >= 0 && h > 0 && w > 0 && (stride == 1 || stride == 2) && h * w <= 0x7fffffffLL,
               "%s: bad arguments (planes=%lld h=%lld w=%lld stride=%d)", op, (long long)planes, (long long)h,
               (long long)w, stride);
  CUDA_REQUIRE(planes == 0 || (a && b), "%s: NULL tensor", op);
  return PVLL_OK;
}

int check_pool(const char* op, const void* a, const void* b, int n, int c, int h, int w, int k, int s, int p) {
  CUDA_REQUIRE(a && b && n >= 0 && c >= 0 && h > 0 && w > 0 && k > 0 && s > 0 && p >= 0 && p < k && h + 2 * p >= k &&
                   w + 2 * p >= k,
               "%s: bad pooling geometry (input %dx%d, kernel %d, stride %d, padding %d)", op, h, w, k, s, p);
  return PVLL_OK;
}

int check_crop(const char* op, const void* a, const void* b, int n, int c, int h, int w, int top, int left, int oh,
               int ow) {
  CUDA_REQUIRE(a && b && n >= 0 && c >= 0 && h >= 0 && w >= 0 && oh >= 0 && ow >= 0 && top >= 0 && left >= 0 &&
                   top + oh <= h && left + ow <= w,
               "%s: window %dx%d at (%d,%d) does not fit in %dx%d", op, oh, ow, top, left, h, w);
  return PVLL_OK;
}

#define LAUNCH_OVER(count, kernel, stream, ...)                                                     \
  do {                                                                                             \
    if ((count) > 0) {                                                                             \
      kernel<<<pvll_grid_for((count), kLayerBlock), kLayerBlock, 0, (stream)>>>(__VA_ARGS__);      \
      CUDA_CHECK_LAUNCH(#kernel);                                                                  \
    }                                                                                              \
  } while (0)

}  // namespace

PVLL_API int pvll_cuda_max_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride,
                                           void* stream) {
  if (int s = check3("pvll_cuda_max_pool3x3_forward", x, y, planes, h, w, stride)) return s;
  const long long outputs = planes * ((h - 1) / stride + 1) * ((w - 1) / stride + 1);
  LAUNCH_OVER(outputs, max_pool3x3_forward_kernel, ::pvll_cuda::stream_of(stream), x, y, planes, (int)h, (int)w, stride);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_max_pool3x3_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h,
                                            int64_t w, int stride, int accumulate, void* stream) {
  const char* op = "pvll_cuda_max_pool3x3_backward";
  if (int s = check3(op, x, dx, planes, h, w, stride)) return s;
  CUDA_REQUIRE(planes == 0 || dy, "%s: NULL dy", op);
  if (planes == 0) return PVLL_OK;
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const long long outputs = planes * ((h - 1) / stride + 1) * ((w - 1) / stride + 1);
  Scratch argmax(st);
  if (int s = argmax.alloc(sizeof(int) * outputs)) return s;
  LAUNCH_OVER(outputs, max_pool3x3_argmax_kernel, st, x, argmax.as<int>(), planes, (int)h, (int)w, stride);
  LAUNCH_OVER(planes * h * w, max_pool3x3_backward_kernel, st, argmax.as<int>(), dy, dx, planes, (int)h, (int)w,
              stride, accumulate);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_avg_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride,
                                           void* stream) {
  if (int s = check3("pvll_cuda_avg_pool3x3_forward", x, y, planes, h, w, stride)) return s;
  const long long outputs = planes * ((h - 1) / stride + 1) * ((w - 1) / stride + 1);
  LAUNCH_OVER(outputs, avg_pool3x3_forward_kernel, ::pvll_cuda::stream_of(stream), x, y, planes, (int)h, (int)w, stride);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_avg_pool3x3_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                                            int stride, int accumulate, void* stream) {
  if (int s = check3("pvll_cuda_avg_pool3x3_backward", dy, dx, planes, h, w, stride)) return s;
  LAUNCH_OVER(planes * h * w, avg_pool3x3_backward_kernel, ::pvll_cuda::stream_of(stream), dy, dx, planes, (int)h, (int)w,
              stride, accumulate);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_global_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t hw, void* stream) {
  CUDA_REQUIRE(x && y && planes >= 0 && hw > 0, "pvll_cuda_global_avg_pool_forward: bad arguments (planes=%lld hw=%lld)",
               (long long)planes, (long long)hw);
  LAUNCH_OVER(planes * 32, global_avg_pool_forward_kernel, ::pvll_cuda::stream_of(stream), x, y, planes, hw, 1.f / (float)hw);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_global_avg_pool_backward(const float* dy, float* dx, int64_t planes, int64_t hw, int accumulate,
                                                void* stream) {
  CUDA_REQUIRE(dy && dx && planes >= 0 && hw > 0,
               "pvll_cuda_global_avg_pool_backward: bad arguments (planes=%lld hw=%lld)", (long long)planes,
               (long long)hw);
  LAUNCH_OVER(planes * hw, global_avg_pool_backward_kernel, ::pvll_cuda::stream_of(stream), dy, dx, planes, hw,
              1.f / (float)hw, accumulate);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_avg_pool_forward(const float* x, float* y, int n, int c, int h, int w, int k, int s, int p,
                                        void* stream) {
  if (int st = check_pool("pvll_cuda_avg_pool_forward", x, y, n, c, h, w, k, s, p)) return st;
  const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  const long long planes = (long long)n * c;
  LAUNCH_OVER(planes * oh * ow, avg_pool_forward_kernel, ::pvll_cuda::stream_of(stream), x, y, planes, h, w, k, s, p, oh, ow);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_avg_pool_backward(const float* dy, float* dx, int n, int c, int h, int w, int k, int s, int p,
                                         int accumulate, void* stream) {
  if (int st = check_pool("pvll_cuda_avg_pool_backward", dy, dx, n, c, h, w, k, s, p)) return st;
  const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  const long long planes = (long long)n * c;
  LAUNCH_OVER(planes * h * w, avg_pool_backward_kernel, ::pvll_cuda::stream_of(stream), dy, dx, planes, h, w, k, s, p, oh, ow,
              accumulate);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_crop_forward(const float* x, float* y, int n, int c, int h, int w, int top, int left, int oh,
                                    int ow, void* stream) {
  if (int st = check_crop("pvll_cuda_crop_forward", x, y, n, c, h, w, top, left, oh, ow)) return st;
  const long long planes = (long long)n * c;
  LAUNCH_OVER(planes * oh * ow, crop_forward_kernel, ::pvll_cuda::stream_of(stream), x, y, planes, h, w, top, left, oh, ow);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_crop_backward(const float* dy, float* dx, int n, int c, int h, int w, int top, int left, int oh,
                                     int ow, int accumulate, void* stream) {
  if (int st = check_crop("pvll_cuda_crop_backward", dy, dx, n, c, h, w, top, left, oh, ow)) return st;
  const long long planes = (long long)n * c;
  LAUNCH_OVER(planes * h * w, crop_backward_kernel, ::pvll_cuda::stream_of(stream), dy, dx, planes, h, w, top, left, oh, ow,
              accumulate);
  return PVLL_OK;
}
