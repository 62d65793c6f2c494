// The CPU ops of pvll_step.h: scale-add and SGD whose scalars are read from memory, and the
// per-step loss log. They delegate to pvll_scale_add and pvll_sgd_step, so a step run through
// them is bit-identical to one that passes the same values as arguments.
#include <cmath>

#include "pvll_elementwise.h"
#include "pvll_optim.h"
#include "pvll_step.h"
#include "status.h"

PVLL_API int pvll_scale_add_by(const float* x, const float* alpha, float* y, int64_t n, int accumulate) {
  PVLL_REQUIRE(alpha, "pvll_scale_add_by: alpha is NULL");
  return pvll_scale_add(x, alpha[0], y, n, accumulate);
}

PVLL_API int pvll_sgd_step_by(float* param, const float* grad, float* momentum_buf, int64_t n, const float* control,
                              float momentum, float weight_decay) {
  PVLL_REQUIRE(control, "pvll_sgd_step_by: control is NULL");
  if (control[PVLL_STEP_GATE] == 0.f) return PVLL_OK;
  return pvll_sgd_step(param, grad, momentum_buf, n, control[PVLL_STEP_LR], momentum, weight_decay);
}

PVLL_API int pvll_record_step(const float* loss, const float* correct, const float* lr_schedule, float* control,
                              float* log, int64_t capacity) {
  PVLL_REQUIRE(loss && correct && control && (log || capacity == 0) && capacity >= 0,
               "pvll_record_step: bad arguments (capacity=%lld)", (long long)capacity);
  const int64_t i = (int64_t)control[PVLL_STEP_COUNT];
  const bool inside = i >= 0 && i < capacity;
  if (inside) {
    log[2 * i] = loss[0];
    log[2 * i + 1] = correct[0];
    if (lr_schedule) control[PVLL_STEP_LR] = lr_schedule[i];
  }
  control[PVLL_STEP_GATE] = inside && std::isfinite(loss[0]) ? 1.f : 0.f;
  control[PVLL_STEP_COUNT] = (float)(i + 1);
  return PVLL_OK;
}
