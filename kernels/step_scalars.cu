// The CUDA ops of pvll_step.h (declared in pvll_cuda_graph.h): scale-add and SGD whose scalars
// are read from device memory, and the per-step loss log, so that a captured training step
// replays with a new architecture and learning rate and never needs the host to read a value.
// Same arithmetic as scale_add_kernel (elementwise.cu) and sgd_kernel (optim.cu, one shared
// sgd_element): a step run through these is bit-identical to one with the values as arguments.
#include <cstdint>

#include "layer_common.cuh"
#include "pvll_step.h"
#include "sgd_element.cuh"

namespace {
using pvll_cuda::global_thread;
using pvll_cuda::grid_threads;
using pvll_cuda::kLayerBlock;
using pvll_cuda::sgd_element;

__global__ void scale_add_by_kernel(const float* __restrict__ x, const float* __restrict__ alpha_ptr,
                                    float* __restrict__ y, long long n, int accumulate) {
  const float alpha = *alpha_ptr;
  for (long long i = global_thread(); i < n; i += grid_threads()) y[i] = accumulate ? y[i] + alpha * x[i] : alpha * x[i];
}

__global__ void sgd_by_kernel(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ buf,
                              long long n, const float* __restrict__ control, float momentum, float weight_decay) {
  if (control[PVLL_STEP_GATE] == 0.f) return;
  const float lr = control[PVLL_STEP_LR];
  for (long long i = global_thread(); i < n; i += grid_threads()) sgd_element(param, grad, buf, i, lr, momentum, weight_decay);
}

__global__ void record_step_kernel(const float* loss, const float* correct, const float* lr_schedule, float* control,
                                   float* log, long long capacity) {
  const long long i = (long long)control[PVLL_STEP_COUNT];
  const bool inside = i >= 0 && i < capacity;
  if (inside) {
    log[2 * i] = loss[0];
    log[2 * i + 1] = correct[0];
    if (lr_schedule) control[PVLL_STEP_LR] = lr_schedule[i];
  }
  control[PVLL_STEP_GATE] = inside && isfinite(loss[0]) ? 1.f : 0.f;
  control[PVLL_STEP_COUNT] = (float)(i + 1);
}
}  // namespace

PVLL_API int pvll_cuda_scale_add_by(const float* x, const float* alpha, float* y, int64_t n, int accumulate,
                                    void* stream) {
  CUDA_REQUIRE(n >= 0 && alpha && (n == 0 || (x && y)), "pvll_cuda_scale_add_by: bad arguments (n=%lld)", (long long)n);
  if (n == 0) return PVLL_OK;
  scale_add_by_kernel<<<pvll_grid_for(n, kLayerBlock), kLayerBlock, 0, pvll_cuda::stream_of(stream)>>>(x, alpha, y, n,
                                                                                                      accumulate);
  CUDA_CHECK_LAUNCH("pvll_cuda_scale_add_by");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_sgd_step_by(float* param, const float* grad, float* momentum_buf, int64_t n,
                                   const float* control, float momentum, float weight_decay, void* stream) {
  CUDA_REQUIRE(n >= 0 && control && (n == 0 || (param && grad)), "pvll_cuda_sgd_step_by: bad arguments (n=%lld)",
               (long long)n);
  CUDA_REQUIRE(momentum_buf || momentum == 0.f, "pvll_cuda_sgd_step_by: momentum %g needs a momentum buffer",
               (double)momentum);
  if (n == 0) return PVLL_OK;
  sgd_by_kernel<<<pvll_grid_for(n, kLayerBlock), kLayerBlock, 0, pvll_cuda::stream_of(stream)>>>(
      param, grad, momentum_buf, n, control, momentum, weight_decay);
  CUDA_CHECK_LAUNCH("pvll_cuda_sgd_step_by");
  return PVLL_OK;
}

PVLL_API int pvll_cuda_record_step(const float* loss, const float* correct, const float* lr_schedule, float* control,
                                   float* log, int64_t capacity, void* stream) {
  CUDA_REQUIRE(loss && correct && control && (log || capacity == 0) && capacity >= 0,
               "pvll_cuda_record_step: bad arguments (capacity=%lld)", (long long)capacity);
  record_step_kernel<<<1, 1, 0, pvll_cuda::stream_of(stream)>>>(loss, correct, lr_schedule, control, log, capacity);
  CUDA_CHECK_LAUNCH("pvll_cuda_record_step");
  return PVLL_OK;
}
