// The 1x1 convolution kernels, shared by the pointwise API and conv2d's 1x1 stride-1 case.
#pragma once

namespace pvll {

/** y = bias + W * x per image; W [cout x cin], x [cin x hw], bias may be null. */
void pointwise_forward(const float* x, const float* w, const float* bias, float* y, int n, int cin,
                       int hw, int cout);
/** dx (+)= W^T * dy per image. */
void pointwise_backward_input(const float* dy, const float* w, float* dx, int n, int cin, int hw,
                              int cout, bool accumulate);
/** dw (+)= sum over images of dy * x^T; dbias (may be null) (+)= sums of dy. */
void pointwise_backward_weight(const float* x, const float* dy, float* dw, float* dbias, int n,
                               int cin, int hw, int cout, bool accumulate);

}  // namespace pvll
