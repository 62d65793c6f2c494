// Depthwise forward at stride 2, AVX-512 (depthwise_stride2_avx512.cpp); only where use_avx512().
#pragma once

namespace pvll::avx512 {

/** y = depthwise k x k (k = 3 or 5) of x, stride 2, dilation d (1 or 2), padding d (k-1)/2,
 *  for input rows of at most 32 columns. */
void depthwise_forward_stride2(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int k,
                               int d);

}  // namespace pvll::avx512
