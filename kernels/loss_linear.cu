// Fully connected layer and softmax cross-entropy on CUDA; semantics of native/include/pvll_linear.h
// and pvll_loss.h (C API: pvll_cuda_layers.h). Row-major float32: x [n, in], w [out, in],
// b [out], y [n, out], logits [n, k], labels [n] (class indices as floats).
//
// linear forward: one warp per output value (coalesced rows of x and w, fixed shuffle tree).
// linear backward: one launch, one thread per value of dx [n, in], dw [out, in] and db [out], each
// summing over out, n or n in order (consecutive threads read consecutive columns). Written, or
// added into with accumulate.
// cross-entropy: one block; a bad label is marked, not reported (no host sync): loss_out = NaN,
// correct_out = -(first bad row + 1), dlogits untouched. Otherwise as the CPU kernel: exp in
// float precision (computed in double, so --use_fast_math does not approximate it), the row sum
// and loss in double, the mean over rows by a fixed block tree.
// Build: cmake --build build; checked against the CPU kernels by LinearLossCudaTest.
#include <cmath>

#include "layer_common.cuh"
#include "pvll_cuda_layers.h"
#include "reduce.cuh"

using namespace pvll_cuda;

namespace {

__global__ void linear_forward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                      const float* __restrict__ b, float* __restrict__ y, long long n, long long in,
                                      long long out) {
  const long long warps = grid_threads() / 32;
  const int lane = threadIdx.x & 31;
  for (long long v = global_thread() / 32; v < n * out; v += warps) {
    const long long r = v / out, o = v - r * out;
    const float* xr = x + r * in;
    const float* wo = w + o * in;
    float s = 0.f;
    for (long long i = lane; i < in; i += 32) s += xr[i] * wo[i];
    s = warp_sum(s);
    if (lane == 0) y[v] = b ? s + b[o] : s;
  }
}

__global__ void linear_backward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                       const float* __restrict__ dy, float* __restrict__ dx, float* __restrict__ dw,
                                       float* __restrict__ db, long long n, long long in, long long out,
                                       int accumulate) {
  const long long dx_values = dx ? n * in : 0, dw_values = out * in, db_values = db ? out : 0;
  const long long total = dx_values + dw_values + db_values;
  for (long long t = global_thread(); t < total; t += grid_threads()) {
    if (t < dx_values) {  // dx[r, i] = sum_o dy[r, o] w[o, i]
      const long long r = t / in, i = t - r * in;
      float s = 0.f;
      for (long long o = 0; o < out; ++o) s += dy[r * out + o] * w[o * in + i];
      dx[t] = accumulate ? dx[t] + s : s;
    } else if (t < dx_values + dw_values) {  // dw[o, i] = sum_r dy[r, o] x[r, i]
      const long long v = t - dx_values, o = v / in, i = v - o * in;
      float s = 0.f;
      for (long long r = 0; r < n; ++r) s += dy[r * out + o] * x[r * in + i];
      dw[v] = accumulate ? dw[v] + s : s;
    } else {  // db[o] = sum_r dy[r, o]
      const long long o = t - dx_values - dw_values;
      float s = 0.f;
      for (long long r = 0; r < n; ++r) s += dy[r * out + o];
      db[o] = accumulate ? db[o] + s : s;
    }
  }
}

constexpr int kLossBlock = 256;

__global__ void softmax_cross_entropy_kernel(const float* __restrict__ logits, const float* __restrict__ labels,
                                             float* __restrict__ loss_out, float* __restrict__ correct_out,
                                             float* __restrict__ dlogits, long long n, long long k) {
  __shared__ long long first_bad;
  if (threadIdx.x == 0) first_bad = n;
  __syncthreads();
  for (long long r = threadIdx.x; r < n; r += blockDim.x) {
    const float l = labels[r];
    if (!(l >= 0.f && l < (float)k && l == floorf(l))) atomicMin((unsigned long long*)&first_bad, (unsigned long long)r);
  }
  __syncthreads();
  if (first_bad < n) {
    if (threadIdx.x == 0) {
      loss_out[0] = NAN;
      correct_out[0] = -(float)(first_bad + 1);
    }
    return;
  }
  const float inv_n = 1.f / (float)n;
  double loss = 0;
  int correct = 0;
  for (long long r = threadIdx.x; r < n; r += blockDim.x) {
    const float* z = logits + r * k;
    const long long label = (long long)labels[r];
    long long arg = 0;
    for (long long j = 1; j < k; ++j)
      if (z[j] > z[arg]) arg = j;
    const float m = z[arg];
    double sum = 0;
    for (long long j = 0; j < k; ++j) sum += (double)(float)exp((double)(z[j] - m));
    loss += log(sum) + (double)m - (double)z[label];
    correct += arg == label;
    if (dlogits) {
      float* d = dlogits + r * k;
      const float inv_sum = (float)(1.0 / sum);
      for (long long j = 0; j < k; ++j) d[j] = (float)exp((double)(z[j] - m)) * inv_sum * inv_n;
      d[label] -= inv_n;
    }
  }
  __shared__ double shared_loss[32];
  __shared__ int shared_correct[32];
  loss = block_sum(loss, shared_loss);
  correct = block_sum(correct, shared_correct);
  if (threadIdx.x == 0) {
    loss_out[0] = (float)(loss / (double)n);
    correct_out[0] = (float)correct;
  }
}

}  // namespace

PVLL_API int pvll_cuda_linear_forward(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t in,
                                      int64_t out, void* stream) {
  CUDA_REQUIRE(n >= 0 && in > 0 && out > 0 && (n == 0 || (x && w && y)),
               "pvll_cuda_linear_forward: bad arguments (n=%lld in=%lld out=%lld)", (long long)n, (long long)in,
               (long long)out);
  if (n == 0) return PVLL_OK;
  linear_forward_kernel<<<pvll_grid_for(n * out * 32, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(
      x, w, b, y, n, in, out);
  CUDA_CHECK_LAUNCH("pvll_cuda_linear_forward");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                                       int64_t n, int64_t in, int64_t out, int accumulate, void* stream) {
  CUDA_REQUIRE(n >= 0 && in > 0 && out > 0 && x && w && dy && dw,
               "pvll_cuda_linear_backward: bad arguments (n=%lld in=%lld out=%lld)", (long long)n, (long long)in,
               (long long)out);
  const long long total = (dx ? n * in : 0) + out * in + (db ? out : 0);
  linear_backward_kernel<<<pvll_grid_for(total, kLayerBlock), kLayerBlock, 0, ::pvll_cuda::stream_of(stream)>>>(
      x, w, dy, dx, dw, db, n, in, out, accumulate);
  CUDA_CHECK_LAUNCH("pvll_cuda_linear_backward");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_softmax_cross_entropy(const float* logits, const float* labels, float* loss_out,
                                             float* correct_out, float* dlogits, int64_t n, int64_t k, void* stream) {
  CUDA_REQUIRE(logits && labels && loss_out && correct_out && n > 0 && k > 0,
               "pvll_cuda_softmax_cross_entropy: bad arguments (n=%lld k=%lld)", (long long)n, (long long)k);
  softmax_cross_entropy_kernel<<<1, kLossBlock, 0, ::pvll_cuda::stream_of(stream)>>>(logits, labels, loss_out, correct_out,
                                                                          dlogits, n, k);
  CUDA_CHECK_LAUNCH("pvll_cuda_softmax_cross_entropy");
  return PVLL_OK;
}
