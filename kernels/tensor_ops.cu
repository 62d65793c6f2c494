// Data movement and small reductions on CUDA; semantics of native/include/pvll_tensor_ops.h and
// pvll_elementwise.h's dot (C API: pvll_cuda_layers.h): channel concat and split of NCHW tensors,
// drop-path forward and backward, addition, and the dot product.
//
// Concat and split: one launch per 8 inputs; each thread moves one value of the channel range
// those inputs cover (the pointer table travels as a kernel argument, no device copy). Split
// adds into the dxs with accumulate. Dot: fixed slices of the input per block summed in double,
// then one block sums the slices in order into out[0] (device memory): deterministic, no atomics.
// Build: cmake --build build; checked against the CPU kernels by TensorOpsCudaTest.
#include <algorithm>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "reduce.cuh"
#include "scratch.cuh"

using namespace pvll_cuda;

namespace {

constexpr int kSegments = 8;

struct Segments {
  float* ptr[kSegments];               // the inputs (concat) or their gradients (split)
  long long first[kSegments + 1];      // channel of y where each begins (first[count] = end)
  int count;
};

// direction 0: y[.., first[i] + ch, ..] = xs[i][.., ch, ..]; direction 1: dxs[i] (+)= dy slice.
__global__ void concat_split_kernel(Segments seg, float* whole, long long n, long long total_channels, long long hw,
                                    int split, int accumulate) {
  const long long c0 = seg.first[0], channels = seg.first[seg.count] - c0;
  const long long per_sample = channels * hw;
  const long long total = n * per_sample;
  for (long long t = global_thread(); t < total; t += grid_threads()) {
    const long long s = t / per_sample, r = t - s * per_sample;
    const long long ch = c0 + r / hw, i = r - (r / hw) * hw;
    int k = 0;
    while (k + 1 < seg.count && ch >= seg.first[k + 1]) ++k;
    const long long part_channels = seg.first[k + 1] - seg.first[k];
    const long long part_at = (s * part_channels + (ch - seg.first[k])) * hw + i;
    const long long whole_at = (s * total_channels + ch) * hw + i;
    if (!split) {
      whole[whole_at] = seg.ptr[k][part_at];
    } else {
      const float v = whole[whole_at];
      seg.ptr[k][part_at] = accumulate ? seg.ptr[k][part_at] + v : v;
    }
  }
}

__global__ void drop_path_kernel(const float* __restrict__ src, const float* __restrict__ mask, float* dst, long long n,
                                 long long per_sample, float keep_prob, int accumulate) {
  const long long total = n * per_sample;
  for (long long t = global_thread(); t < total; t += grid_threads()) {
    const float scale = __fdiv_rn(mask[t / per_sample], keep_prob);
    const float v = src[t] * scale;
    dst[t] = accumulate ? dst[t] + v : v;
  }
}

__global__ void add_kernel(const float* a, const float* b, float* y, long long count) {
  for (long long t = global_thread(); t < count; t += grid_threads()) y[t] = a[t] + b[t];
}

constexpr long long kDotSlice = 8192;
constexpr int kDotMaxSlices = 1024;

__global__ void dot_partials(const float* __restrict__ a, const float* __restrict__ b, long long n,
                             double* __restrict__ partial) {
  int64_t begin, end;
  slice_bounds(n, blockIdx.x, gridDim.x, &begin, &end);
  double s = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) s += (double)a[i] * (double)b[i];
  __shared__ double shared[32];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

}  // namespace

namespace {
int concat_split(const char* op, float* const* parts, const int64_t* channels, int count, float* whole, int64_t n,
                 int64_t hw, int split, int accumulate, cudaStream_t stream) {
  CUDA_REQUIRE(parts && channels && count > 0 && whole && n >= 0 && hw >= 0, "%s: bad arguments", op);
  long long total = 0;
  for (int i = 0; i < count; ++i) {
    CUDA_REQUIRE(channels[i] >= 0 && (parts[i] || channels[i] * n * hw == 0), "%s: input %d is NULL or has %lld channels",
                 op, i, (long long)channels[i]);
    total += channels[i];
  }
  long long first = 0;
  for (int base = 0; base < count; base += kSegments) {
    Segments seg{};
    seg.count = std::min(kSegments, count - base);
    for (int k = 0; k < seg.count; ++k) {
      seg.ptr[k] = parts[base + k];
      seg.first[k] = first;
      first += channels[base + k];
    }
    seg.first[seg.count] = first;
    const long long values = n * (seg.first[seg.count] - seg.first[0]) * hw;
    if (values == 0) continue;
    concat_split_kernel<<<pvll_grid_for(values, kLayerBlock), kLayerBlock, 0, stream>>>(seg, whole, n, total, hw, split,
                                                                                       accumulate);
    CUDA_CHECK_LAUNCH(op);
  }
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_cuda_concat_channels(const float* const* xs, const int64_t* channels, int count, float* y, int64_t n,
                                       int64_t hw, void* stream) {
  return concat_split("pvll_cuda_concat_channels", const_cast<float* const*>(xs), channels, count, y, n, hw, 0, 0,
                      ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_split_channels(const float* dy, float* const* dxs, const int64_t* channels, int count, int64_t n,
                                      int64_t hw, int accumulate, void* stream) {
  return concat_split("pvll_cuda_split_channels", dxs, channels, count, const_cast<float*>(dy), n, hw, 1, accumulate,
                      ::pvll_cuda::stream_of(stream));
}

static int drop_path(const char* op, const float* src, const float* mask, float* dst, int64_t n, int64_t per_sample,
                     float keep_prob, int accumulate, cudaStream_t stream) {
  CUDA_REQUIRE(n >= 0 && per_sample >= 0 && (n * per_sample == 0 || (src && mask && dst)), "%s: bad arguments", op);
  CUDA_REQUIRE(keep_prob > 0.f && keep_prob <= 1.f, "%s: keep_prob must be in (0, 1], got %g", op, (double)keep_prob);
  if (n * per_sample == 0) return PVLL_OK;
  drop_path_kernel<<<pvll_grid_for(n * per_sample, kLayerBlock), kLayerBlock, 0, stream>>>(src, mask, dst, n,
                                                                                           per_sample, keep_prob,
                                                                                           accumulate);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_drop_path_forward(const float* x, const float* mask, float* y, int64_t n, int64_t per_sample,
                                         float keep_prob, void* stream) {
  return drop_path("pvll_cuda_drop_path_forward", x, mask, y, n, per_sample, keep_prob, 0, ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_drop_path_backward(const float* dy, const float* mask, float* dx, int64_t n, int64_t per_sample,
                                          float keep_prob, int accumulate, void* stream) {
  return drop_path("pvll_cuda_drop_path_backward", dy, mask, dx, n, per_sample, keep_prob, accumulate,
                   ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_add(const float* a, const float* b, float* y, int64_t count, void* stream) {
  CUDA_REQUIRE(count >= 0 && (count == 0 || (a && b && y)), "pvll_cuda_add: bad arguments");
  if (count == 0) return PVLL_OK;
  add_kernel<<<pvll_grid_for(count, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(a, b, y, count);
  CUDA_CHECK_LAUNCH("pvll_cuda_add");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_dot(const float* a, const float* b, int64_t n, double* out, void* stream) {
  const char* op = "pvll_cuda_dot";
  CUDA_REQUIRE(n >= 0 && out && (n == 0 || (a && b)), "%s: bad arguments (n=%lld)", op, (long long)n);
  const cudaStream_t st = ::pvll_cuda::stream_of(stream);
  const int slices = (int)std::max<long long>(1, std::min<long long>(kDotMaxSlices, (n + kDotSlice - 1) / kDotSlice));
  Scratch scratch(st);
  if (int s = scratch.alloc(sizeof(double) * slices)) return s;
  dot_partials<<<slices, kLayerBlock, 0, st>>>(a, b, n, scratch.as<double>());
  CUDA_CHECK_LAUNCH(op);
  sum_partials_kernel<<<1, kLayerBlock, 0, st>>>(scratch.as<double>(), slices, out);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}
