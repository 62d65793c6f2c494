// The stem conv (3x3, stride 1, padding 1, a few input channels) computed directly, without
// im2col: see conv2d_stem_avx512.cpp. Only where use_avx512(); conv2d.cpp's products otherwise.
#pragma once

#include "conv_shape.h"

namespace pvll::avx512 {

/** Whether stem_forward takes this conv2d (groups 1). */
bool stem_fits(const ConvShape& s);

/** y = conv2d(x, w) + bias (bias may be null) for a shape where stem_fits. */
void stem_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);

}  // namespace pvll::avx512
