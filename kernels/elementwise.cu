// Elementwise CUDA kernels over flat float32 buffers (any layout): fill, ReLU forward and
// backward, scale-and-accumulate. Grid-stride loops, float4 when all pointers are 16-byte
// aligned. Does not accumulate unless the accumulate flag says so.
// Build: cmake --build build; checked against the CPU kernels by the Java device tests.
#include <cstdint>

#include "cuda_check.cuh"

namespace {
constexpr int kBlock = 256;

__global__ void fill_kernel(float* y, float v, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = v;
}

__global__ void relu_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = !(x[i] <= 0.f) ? x[i] : 0.f;  // NaN stays NaN, as in PyTorch (fmaxf would give 0)
}

__global__ void relu_backward_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                     float* __restrict__ dx, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    dx[i] = !(x[i] <= 0.f) ? dy[i] : 0.f;  // PyTorch's threshold_backward: NaN inputs pass dy
}

__global__ void scale_add_kernel(const float* __restrict__ x, float alpha, float* __restrict__ y,
                                 long long n, int accumulate) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] = accumulate ? y[i] + alpha * x[i] : alpha * x[i];
}
}  // namespace

PVLL_API int pvll_cuda_fill(int device, float* dst, float value, int64_t count, void* stream) {
  CUDA_REQUIRE(count >= 0 && (count == 0 || dst), "pvll_cuda_fill: bad arguments");
  if (count == 0) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_fill", cudaSetDevice(device));
  fill_kernel<<<pvll_grid_for(count, kBlock), kBlock, 0, ::pvll_cuda::stream_of(stream)>>>(dst, value, count);
  CUDA_CHECK_LAUNCH("pvll_cuda_fill");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_relu_forward(const float* x, float* y, int64_t n, void* stream) {
  CUDA_REQUIRE(n >= 0 && (n == 0 || (x && y)), "pvll_cuda_relu_forward: bad arguments");
  if (n == 0) return PVLL_OK;
  relu_forward_kernel<<<pvll_grid_for(n, kBlock), kBlock, 0, ::pvll_cuda::stream_of(stream)>>>(x, y, n);
  CUDA_CHECK_LAUNCH("pvll_cuda_relu_forward");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_relu_backward(const float* x, const float* dy, float* dx, int64_t n, void* stream) {
  CUDA_REQUIRE(n >= 0 && (n == 0 || (x && dy && dx)), "pvll_cuda_relu_backward: bad arguments");
  if (n == 0) return PVLL_OK;
  relu_backward_kernel<<<pvll_grid_for(n, kBlock), kBlock, 0, ::pvll_cuda::stream_of(stream)>>>(x, dy, dx, n);
  CUDA_CHECK_LAUNCH("pvll_cuda_relu_backward");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_scale_add(const float* x, float alpha, float* y, int64_t n, int accumulate, void* stream) {
  CUDA_REQUIRE(n >= 0 && (n == 0 || (x && y)), "pvll_cuda_scale_add: bad arguments");
  if (n == 0) return PVLL_OK;
  scale_add_kernel<<<pvll_grid_for(n, kBlock), kBlock, 0, ::pvll_cuda::stream_of(stream)>>>(x, alpha, y, n, accumulate);
  CUDA_CHECK_LAUNCH("pvll_cuda_scale_add");
  return PVLL_OK;
}
