/*
 * pvll_linear.h - fully connected layer y = x w^T + b over float32 row-major matrices (CPU).
 *
 * x [n, in], w [out, in], b [out], y [n, out]. Every output element is summed by one thread in
 * a fixed order, so results are bit-identical for any thread count.
 */
#ifndef PVLL_LINEAR_H
#define PVLL_LINEAR_H

#include "pvll_common.h"

/** y = x w^T + b (b may be NULL). y must not alias x or w. */
PVLL_API int pvll_linear_forward(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t in,
                                 int64_t out);

/**
 * Gradients of the linear layer: dx = dy w [n, in], dw = dy^T x [out, in], db = column sums
 * of dy [out]. dx and db may be NULL (not wanted). With accumulate the gradients are added
 * into dx, dw and db, else written.
 */
PVLL_API int pvll_linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                                  int64_t n, int64_t in, int64_t out, int accumulate);

#endif
