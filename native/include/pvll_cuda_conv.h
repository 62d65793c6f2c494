/*
 * pvll_cuda_conv.h - the convolutions of pvll_conv.h on CUDA device memory (libpvll_cuda.so).
 *
 * Same arguments, layouts (NCHW), output sizes and "accumulate" semantics as the CPU functions
 * of pvll_conv.h, in the same order, plus the cudaStream_t as a trailing void* (NULL = the
 * legacy default stream). Every function only enqueues work and returns an int status; the
 * message is in pvll_cuda_last_error(). bias and dbias may be NULL. Results are deterministic:
 * no float atomics, every reduction is split over blocks in a fixed order that depends only
 * on the shape. Scratch buffers come from the caching allocator (pvll_cuda_malloc) and go back
 * to it once the work is enqueued, so callers must use one stream per device (the
 * default stream everywhere today).
 */
#ifndef PVLL_CUDA_CONV_H
#define PVLL_CUDA_CONV_H

#include "pvll_common.h"

#define PVLL_CUDA_CONV_FUNCTIONS(X)                                                                   \
  /* --- general conv2d, groups = 1 --- */                                                            \
  X(pvll_cuda_conv2d_forward, (const float* x, const float* w, const float* bias, float* y, int n,   \
                               int cin, int h, int w_in, int cout, int kh, int kw, int stride,        \
                               int padding, int dilation, void* stream))                              \
  X(pvll_cuda_conv2d_backward_input, (const float* dy, const float* w, float* dx, int n, int cin,    \
                                      int h, int w_in, int cout, int kh, int kw, int stride,          \
                                      int padding, int dilation, int accumulate, void* stream))       \
  X(pvll_cuda_conv2d_backward_weight, (const float* x, const float* dy, float* dw, float* dbias,     \
                                       int n, int cin, int h, int w_in, int cout, int kh, int kw,     \
                                       int stride, int padding, int dilation, int accumulate,         \
                                       void* stream))                                                 \
  /* --- depthwise: odd k <= 15, stride 1 or 2, dilation 1..8, padding dilation*(k-1)/2 --- */      \
  X(pvll_cuda_depthwise_forward, (const float* x, const float* w, float* y, int n, int c, int h,     \
                                  int w_in, int k, int stride, int dilation, void* stream))           \
  X(pvll_cuda_depthwise_backward_input, (const float* dy, const float* w, float* dx, int n, int c,   \
                                         int h, int w_in, int k, int stride, int dilation,            \
                                         int accumulate, void* stream))                               \
  X(pvll_cuda_depthwise_backward_weight, (const float* x, const float* dy, float* dw, int n, int c,  \
                                          int h, int w_in, int k, int stride, int dilation,           \
                                          int accumulate, void* stream))                              \
  /* --- pointwise 1x1, stride 1, no bias --- */                                                      \
  X(pvll_cuda_pointwise_forward, (const float* x, const float* w, float* y, int n, int cin, int h,   \
                                  int w_in, int cout, void* stream))                                  \
  X(pvll_cuda_pointwise_backward_input, (const float* dy, const float* w, float* dx, int n, int cin, \
                                         int h, int w_in, int cout, int accumulate, void* stream))    \
  X(pvll_cuda_pointwise_backward_weight, (const float* x, const float* dy, float* dw, int n,         \
                                          int cin, int h, int w_in, int cout, int accumulate,         \
                                          void* stream))

#define PVLL_CUDA_CONV_DECLARE(name, params) PVLL_API int name params;
PVLL_CUDA_CONV_FUNCTIONS(PVLL_CUDA_CONV_DECLARE)
#undef PVLL_CUDA_CONV_DECLARE

#endif
