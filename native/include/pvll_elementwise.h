/*
 * pvll_elementwise.h - elementwise CPU kernels over flat float32 buffers.
 */
#ifndef PVLL_ELEMENTWISE_H
#define PVLL_ELEMENTWISE_H

#include "pvll_common.h"

/** y = max(x, 0). x and y may alias. */
PVLL_API int pvll_relu_forward(const float* x, float* y, int64_t n);
/** dx = dy where x > 0 else 0 (x is the forward input). dx may alias dy. */
PVLL_API int pvll_relu_backward(const float* x, const float* dy, float* dx, int64_t n);
/** y = alpha * x + (accumulate ? y : 0): node sums and edge weights. */
PVLL_API int pvll_scale_add(const float* x, float alpha, float* y, int64_t n, int accumulate);

/** *out = sum_i a[i] * b[i], accumulated in double in fixed-size chunks combined in order. */
PVLL_API int pvll_dot(const float* a, const float* b, int64_t n, double* out);

#endif
