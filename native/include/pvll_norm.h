/*
 * pvll_norm.h - batch normalisation over NCHW float32 tensors (CPU).
 *
 * x has n samples of c channels of hw = H*W values. Statistics are per channel over n*hw
 * values. gamma and beta may be NULL (affine = false: scale 1, shift 0). Results are
 * bit-identical for any thread count (each channel is reduced by one thread in a fixed order).
 */
#ifndef PVLL_NORM_H
#define PVLL_NORM_H

#include "pvll_common.h"

/**
 * Training-mode forward: y = (x - mean) * invstd * gamma + beta with the batch mean and
 * biased variance; save_mean[c] and save_invstd[c] = 1/sqrt(var + eps) are written for the
 * backward pass. running_mean/running_var (both or neither may be NULL) are updated as
 * PyTorch does: r = (1 - momentum) * r + momentum * batch, the variance unbiased
 * (times n*hw / (n*hw - 1)). Needs n*hw > 1. y may alias x.
 */
PVLL_API int pvll_batch_norm_train_forward(const float* x, const float* gamma, const float* beta, float* y,
                                           float* save_mean, float* save_invstd, float* running_mean,
                                           float* running_var, int64_t n, int64_t c, int64_t hw, float momentum,
                                           float eps);

/** Inference forward with running statistics: y = (x - mean) / sqrt(var + eps) * gamma + beta. y may alias x. */
PVLL_API int pvll_batch_norm_inference_forward(const float* x, const float* gamma, const float* beta,
                                               const float* running_mean, const float* running_var, float* y,
                                               int64_t n, int64_t c, int64_t hw, float eps);

/**
 * Training-mode backward (batch statistics, as saved by the training forward):
 *   dgamma = sum(dy * xhat), dbeta = sum(dy) (overwritten; either may be NULL),
 *   dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), added into dx when
 *   accumulate_dx, else written. gamma NULL means 1. dx may alias dy when not accumulating.
 */
PVLL_API int pvll_batch_norm_backward(const float* x, const float* dy, const float* save_mean,
                                      const float* save_invstd, const float* gamma, float* dx, float* dgamma,
                                      float* dbeta, int64_t n, int64_t c, int64_t hw, int accumulate_dx);

#endif
