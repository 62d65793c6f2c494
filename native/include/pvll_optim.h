/*
 * pvll_optim.h - optimiser steps and gradient norms over flat float32 parameter buffers (CPU).
 * Elementwise steps follow PyTorch's torch.optim formulas; reductions combine per-chunk
 * partials in a fixed order, so every result is bit-identical for any thread count.
 */
#ifndef PVLL_OPTIM_H
#define PVLL_OPTIM_H

#include "pvll_common.h"

/**
 * SGD with momentum and L2 weight decay (PyTorch, dampening 0, no Nesterov):
 *   d = grad + weight_decay * param; buf = momentum * buf + d; param -= lr * buf.
 * A zero-initialised buf gives PyTorch's first step (buf = d). buf may be NULL when
 * momentum == 0 (then param -= lr * d). grad is not modified.
 */
PVLL_API int pvll_sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, float lr, float momentum,
                           float weight_decay);

/**
 * Adam (PyTorch torch.optim.Adam, amsgrad off), step counting from 1:
 *   g = grad + weight_decay * param; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
 *   param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
 * grad is not modified.
 */
PVLL_API int pvll_adam_step(float* param, const float* grad, float* m, float* v, int64_t n, int64_t step, float lr,
                            float beta1, float beta2, float eps, float weight_decay);

/** out[0] = sum of squares of all values of the count buffers (sizes[i] floats each), in double. */
PVLL_API int pvll_sum_squares(const float* const* buffers, const int64_t* sizes, int count, double* out);

/** Multiplies every value of the count buffers by alpha. */
PVLL_API int pvll_scale_buffers(float* const* buffers, const int64_t* sizes, int count, float alpha);

#endif
