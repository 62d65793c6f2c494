/*
 * pvll_spatial.h - spatial crops and general average pooling of NCHW tensors: FactorizedReduce's
 * shifted half reads x[:, :, 1:, 1:]; the auxiliary head pools 5x5 with stride 3.
 */
#ifndef PVLL_SPATIAL_H
#define PVLL_SPATIAL_H

#include "pvll_common.h"

/** y[n,c,i,j] = x[n,c,top+i,left+j] for y of shape [n,c,oh,ow]; the window must lie inside x. */
PVLL_API int pvll_crop_forward(const float* x, float* y, int n, int c, int h, int w, int top, int left,
                               int oh, int ow);
/** dx[n,c,top+i,left+j] (+)= dy[n,c,i,j]; outside the window dx is zeroed unless accumulate. */
PVLL_API int pvll_crop_backward(const float* dy, float* dx, int n, int c, int h, int w, int top, int left,
                                int oh, int ow, int accumulate);

/**
 * Average pooling with a k x k window, stride s, zero padding p; count_include_pad = false
 * (the divisor counts only positions inside the image). y is [n, c, oh, ow] with
 * oh = (h + 2p - k) / s + 1.
 */
PVLL_API int pvll_avg_pool_forward(const float* x, float* y, int n, int c, int h, int w, int k, int s, int p);
/** dx (+)= the gradient of pvll_avg_pool_forward for dy; dx is zeroed first unless accumulate. */
PVLL_API int pvll_avg_pool_backward(const float* dy, float* dx, int n, int c, int h, int w, int k, int s, int p,
                                    int accumulate);

#endif
