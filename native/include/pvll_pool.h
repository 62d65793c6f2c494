/*
 * pvll_pool.h - 3x3 pooling (padding 1, stride 1 or 2) and global average pooling over
 * NCHW float32 tensors (CPU).
 *
 * planes = N*C; h, w are the input sizes; the output of a 3x3 pool has
 * ho = (h - 1) / stride + 1 rows and wo = (w - 1) / stride + 1 columns. Backward passes write
 * dx (or add into it when accumulate) and never touch x or dy. Work is split by planes, so
 * results are bit-identical for any thread count.
 */
#ifndef PVLL_POOL_H
#define PVLL_POOL_H

#include "pvll_common.h"

/** Max over each 3x3 window; a NaN in a window gives NaN (as PyTorch). */
PVLL_API int pvll_max_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride);

/**
 * dx of the max pool: each dy goes to its window's first maximum in row-major window order
 * (PyTorch's choice on ties); x is the forward input.
 */
PVLL_API int pvll_max_pool3x3_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h,
                                       int64_t w, int stride, int accumulate);

/** Mean over the in-bounds part of each 3x3 window (count_include_pad = false). */
PVLL_API int pvll_avg_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride);

/** dx of the average pool (h, w: the input sizes). */
PVLL_API int pvll_avg_pool3x3_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int stride,
                                       int accumulate);

/** y[p] = mean of the hw values of plane p. */
PVLL_API int pvll_global_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t hw);

/** dx[p][i] = dy[p] / hw (added when accumulate). */
PVLL_API int pvll_global_avg_pool_backward(const float* dy, float* dx, int64_t planes, int64_t hw, int accumulate);

#endif
