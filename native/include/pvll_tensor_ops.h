/*
 * pvll_tensor_ops.h - data movement and per-sample ops on NCHW float32 tensors (CPU):
 * channel concat and split, drop-path, addition.
 */
#ifndef PVLL_TENSOR_OPS_H
#define PVLL_TENSOR_OPS_H

#include "pvll_common.h"

/**
 * Channel concat: y [n, sum(channels), hw] from count inputs xs[i] of shape
 * [n, channels[i], hw]. y must not alias any input.
 */
PVLL_API int pvll_concat_channels(const float* const* xs, const int64_t* channels, int count, float* y, int64_t n,
                                  int64_t hw);

/** Inverse of the concat: dxs[i] = (accumulate ? dxs[i] : 0) + slice i of dy. */
PVLL_API int pvll_split_channels(const float* dy, float* const* dxs, const int64_t* channels, int count, int64_t n,
                                 int64_t hw, int accumulate);

/**
 * Drop-path: y[s] = x[s] * (mask[s] / keep_prob) for each of the n samples of per_sample
 * values; mask holds 0 or 1 per sample, 0 < keep_prob <= 1. y may alias x.
 */
PVLL_API int pvll_drop_path_forward(const float* x, const float* mask, float* y, int64_t n, int64_t per_sample,
                                    float keep_prob);

/** dx[s] = (accumulate ? dx[s] : 0) + dy[s] * (mask[s] / keep_prob). */
PVLL_API int pvll_drop_path_backward(const float* dy, const float* mask, float* dx, int64_t n, int64_t per_sample,
                                     float keep_prob, int accumulate);

/** y = a + b elementwise over count values; y may alias a or b. */
PVLL_API int pvll_add(const float* a, const float* b, float* y, int64_t count);

#endif
