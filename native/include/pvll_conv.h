/*
 * pvll_conv.h - convolutions on NCHW float32 tensors: general conv2d (groups = 1), depthwise
 * (groups = channels, "same" padding) and pointwise 1x1, forward and both backward passes.
 *
 * Layouts: x [n, cin, h, w], y [n, cout, oh, ow], conv2d weight [cout, cin, kh, kw], depthwise
 * weight [c, 1, k, k], pointwise weight [cout, cin, 1, 1]. Output sizes follow
 * oh = (h + 2*padding - dilation*(kh-1) - 1) / stride + 1; depthwise pads by dilation*(k-1)/2,
 * so oh = ceil(h / stride). "accumulate" != 0 adds into the output instead of overwriting it.
 * Every result is bit-identical for any thread count (pvll_set_num_threads).
 * Inputs and outputs must not overlap. The pvll_ref_* functions are the naive references
 * (double accumulation) that the fast kernels are tested against; groups may be any divisor.
 */
#ifndef PVLL_CONV_H
#define PVLL_CONV_H

#include "pvll_common.h"

/* ---- general conv2d, groups = 1; bias and dbias may be NULL ---- */
PVLL_API int pvll_conv2d_forward(const float* x, const float* w, const float* bias, float* y, int n,
                                 int cin, int h, int w_in, int cout, int kh, int kw, int stride,
                                 int padding, int dilation);
PVLL_API int pvll_conv2d_backward_input(const float* dy, const float* w, float* dx, int n, int cin,
                                        int h, int w_in, int cout, int kh, int kw, int stride,
                                        int padding, int dilation, int accumulate);
PVLL_API int pvll_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias,
                                         int n, int cin, int h, int w_in, int cout, int kh, int kw,
                                         int stride, int padding, int dilation, int accumulate);

/* ---- depthwise: odd k <= 15, stride 1 or 2, dilation 1..8, padding dilation*(k-1)/2 ---- */
PVLL_API int pvll_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h,
                                    int w_in, int k, int stride, int dilation);
PVLL_API int pvll_depthwise_backward_input(const float* dy, const float* w, float* dx, int n, int c,
                                           int h, int w_in, int k, int stride, int dilation,
                                           int accumulate);
PVLL_API int pvll_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n, int c,
                                            int h, int w_in, int k, int stride, int dilation,
                                            int accumulate);

/* ---- pointwise 1x1, stride 1, no bias: per image y = W [cout x cin] * x [cin x h*w] ---- */
PVLL_API int pvll_pointwise_forward(const float* x, const float* w, float* y, int n, int cin, int h,
                                    int w_in, int cout);
PVLL_API int pvll_pointwise_backward_input(const float* dy, const float* w, float* dx, int n, int cin,
                                           int h, int w_in, int cout, int accumulate);
PVLL_API int pvll_pointwise_backward_weight(const float* x, const float* dy, float* dw, int n, int cin,
                                            int h, int w_in, int cout, int accumulate);

/* ---- naive references: grouped conv2d (w [cout, cin/groups, kh, kw]) ---- */
PVLL_API int pvll_ref_conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                                     int n, int cin, int h, int w_in, int cout, int kh, int kw,
                                     int stride, int padding, int dilation, int groups);
PVLL_API int pvll_ref_conv2d_backward_input(const float* dy, const float* w, float* dx, int n,
                                            int cin, int h, int w_in, int cout, int kh, int kw,
                                            int stride, int padding, int dilation, int groups,
                                            int accumulate);
PVLL_API int pvll_ref_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias,
                                             int n, int cin, int h, int w_in, int cout, int kh,
                                             int kw, int stride, int padding, int dilation,
                                             int groups, int accumulate);
/* The references with the signatures of the fast depthwise and pointwise kernels. */
PVLL_API int pvll_ref_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h,
                                        int w_in, int k, int stride, int dilation);
PVLL_API int pvll_ref_depthwise_backward_input(const float* dy, const float* w, float* dx, int n,
                                               int c, int h, int w_in, int k, int stride,
                                               int dilation, int accumulate);
PVLL_API int pvll_ref_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n,
                                                int c, int h, int w_in, int k, int stride,
                                                int dilation, int accumulate);
PVLL_API int pvll_ref_pointwise_forward(const float* x, const float* w, float* y, int n, int cin,
                                        int h, int w_in, int cout);
PVLL_API int pvll_ref_pointwise_backward_input(const float* dy, const float* w, float* dx, int n,
                                               int cin, int h, int w_in, int cout, int accumulate);
PVLL_API int pvll_ref_pointwise_backward_weight(const float* x, const float* dy, float* dw, int n,
                                                int cin, int h, int w_in, int cout, int accumulate);

#endif
