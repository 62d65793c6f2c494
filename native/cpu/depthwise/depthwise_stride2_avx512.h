// Depthwise at stride 2, AVX-512 (depthwise_stride2_avx512.cpp): the forward, and the 3x3
// (dilation 1) input and weight gradients; only where use_avx512().
#pragma once

namespace pvll::avx512 {

/** y = depthwise k x k (k = 3 or 5) of x, stride 2, dilation d (1 or 2), padding d (k-1)/2,
 *  for input rows of at most 32 columns. */
void depthwise_forward_stride2(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int k,
                               int d);

/** dx (+)= the input gradient of the depthwise 3x3 conv at stride 2, dilation 1, straight from
 *  dy by output phase; dx rows of at most 32 columns. */
void depthwise3x3_input_grad_stride2(const float* dy, const float* w, float* dx, int n, int c, int h, int w_in,
                                     bool accumulate);

/** dw (+)= the weight gradient of the depthwise 3x3 conv at stride 2, dilation 1; input rows of
 *  at most 32 columns. */
void depthwise3x3_weight_grad_stride2(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                                      bool accumulate);

}  // namespace pvll::avx512
