// The deterministic second pass of the split reductions of the conv kernels: per-block partial
// sums (dw, dbias) added in a fixed order, then written or accumulated. Memory bound and tiny.
// Build: cmake --build build; checked through the conv ops by ConvCudaTest.
#include "conv_common.cuh"

namespace {
__global__ void sum_partials_kernel(const float* __restrict__ partial, float* __restrict__ out,
                                    long long len, int parts, int accumulate) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < len;
       i += (long long)gridDim.x * blockDim.x) {
    float sum = 0.f;
    for (int s = 0; s < parts; ++s) sum += partial[s * len + i];
    out[i] = accumulate ? out[i] + sum : sum;
  }
}
}  // namespace

namespace pvll_cuda {
int sum_partials(const char* op, const float* partial, float* out, long long len, int parts,
                 int accumulate, cudaStream_t stream) {
  constexpr int kBlock = 128;
  sum_partials_kernel<<<pvll_grid_for(len, kBlock), kBlock, 0, stream>>>(partial, out, len, parts, accumulate);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}
}  // namespace pvll_cuda
