// Depthwise 5x5 at stride 1, AVX-512 (depthwise5x5_avx512.cpp); only where use_avx512().
#pragma once

namespace pvll::avx512 {

/** y (+)= depthwise 5x5 of x, stride 1, dilation d (1 or 2), padding 2d; flip uses
 *  w[4-ky][4-kx] (the input gradient). */
void depthwise5x5_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int d,
                            bool flip, bool accumulate);

}  // namespace pvll::avx512
