/*
 * pvll_step.h - ops whose scalars live in memory (device memory on CUDA) rather than in
 * arguments, so that a captured training step replays with new values and no host read-back:
 *
 *   pvll_scale_add_by(x, alpha, y, n, acc)   y = (acc ? y : 0) + alpha[0] * x
 *   pvll_sgd_step_by(..., control, ...)      pvll_sgd_step with lr = control[PVLL_STEP_LR]; does
 *                                            nothing when control[PVLL_STEP_GATE] == 0
 *   pvll_record_step(loss, correct, lr_schedule, control, log, capacity)
 *       with i = control[PVLL_STEP_COUNT]: when i < capacity, log[2i] = loss[0],
 *       log[2i+1] = correct[0] and (lr_schedule not NULL) control[PVLL_STEP_LR] = lr_schedule[i];
 *       control[PVLL_STEP_GATE] = 1 when i < capacity and loss[0] is finite, else 0;
 *       control[PVLL_STEP_COUNT] = i + 1. (Counts are floats: exact below 2^24.)
 *
 * CUDA twins: pvll_cuda_*_by and pvll_cuda_record_step in pvll_cuda_graph.h, same semantics.
 */
#ifndef PVLL_STEP_H
#define PVLL_STEP_H

#include "pvll_common.h"

/** Slots of the control array of pvll_sgd_step_by and pvll_record_step. */
#define PVLL_STEP_COUNT 0
#define PVLL_STEP_LR 1
#define PVLL_STEP_GATE 2
#define PVLL_STEP_CONTROL_SIZE 4

PVLL_API int pvll_scale_add_by(const float* x, const float* alpha, float* y, int64_t n, int accumulate);
PVLL_API int pvll_sgd_step_by(float* param, const float* grad, float* momentum_buf, int64_t n, const float* control,
                              float momentum, float weight_decay);
PVLL_API int pvll_record_step(const float* loss, const float* correct, const float* lr_schedule, float* control,
                              float* log, int64_t capacity);

#endif
