/*
 * pvll_crop.h - spatial crop of NCHW tensors (FactorizedReduce's shifted half reads x[:, :, 1:, 1:]).
 */
#ifndef PVLL_CROP_H
#define PVLL_CROP_H

#include "pvll_common.h"

/** y[n,c,i,j] = x[n,c,top+i,left+j] for y of shape [n,c,oh,ow]; the window must lie inside x. */
PVLL_API int pvll_crop_forward(const float* x, float* y, int n, int c, int h, int w, int top, int left,
                               int oh, int ow);
/** dx[n,c,top+i,left+j] (+)= dy[n,c,i,j]; outside the window dx is zeroed unless accumulate. */
PVLL_API int pvll_crop_backward(const float* dy, float* dx, int n, int c, int h, int w, int top, int left,
                                int oh, int ow, int accumulate);

#endif
