// Depthwise 3x3 convolution at stride 1, any dilation, read straight from the planes (no padded
// copy): the forward pass (and the input gradient, which is the forward pass of dy with the
// kernel flipped) and the weight gradient. See depthwise3x3.cpp.
#pragma once

namespace pvll {

/** y (+)= depthwise 3x3 of x, stride 1, dilation d, padding d; flip uses w[2-ky][2-kx]. */
void depthwise3x3_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in,
                            int d, bool flip, bool accumulate);

/** dx (+)= the input gradient of the depthwise 3x3 conv at stride 2, dilation d: the stride-1
 *  correlation, kernel flipped, of dy upsampled with zeros (dy[i][j] at row 2i, column 2j). */
void depthwise3x3_input_grad_stride2(const float* dy, const float* w, float* dx, int n, int c, int h, int w_in,
                                     int d, bool accumulate);

/** dw (+)= the weight gradient of the depthwise 3x3 conv, stride 1, dilation d. */
void depthwise3x3_weight_grad(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                              int d, bool accumulate);

namespace avx512 {
// AVX-512 versions at dilation 1 (depthwise3x3_avx512.cpp); only where use_avx512().
void depthwise3x3_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in, bool flip,
                            bool accumulate);
void depthwise3x3_weight_grad(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                              bool accumulate);
}  // namespace avx512

}  // namespace pvll
