// The float entry points of the naive conv references (conv_ref.h).
#include "conv_ref.h"

#include "pvll_conv.h"
#include "status.h"

using pvll::ConvShape;

namespace {

int check(const char* name, const ConvShape& s, const void* a, const void* b, const void* c) {
  PVLL_REQUIRE(s.valid(), "%s: bad shape (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE(a && b && c, "%s: NULL tensor pointer", name);
  return PVLL_OK;
}

}  // namespace

#define PVLL_REF_BODY(name, shape, a, b, c, call)        \
  const ConvShape s = shape;                             \
  if (int st = check(name, s, a, b, c)) return st;       \
  PVLL_GUARD(name, call;)                                \
  return PVLL_OK;

PVLL_API int pvll_ref_conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                                     int n, int cin, int h, int w_in, int cout, int kh, int kw,
                                     int stride, int padding, int dilation, int groups) {
  PVLL_REF_BODY("pvll_ref_conv2d_forward",
                (ConvShape{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, groups}), x, w, y,
                pvll::ref::conv_forward(s, x, w, bias, y))
}

PVLL_API int pvll_ref_conv2d_backward_input(const float* dy, const float* w, float* dx, int n,
                                            int cin, int h, int w_in, int cout, int kh, int kw,
                                            int stride, int padding, int dilation, int groups,
                                            int accumulate) {
  PVLL_REF_BODY("pvll_ref_conv2d_backward_input",
                (ConvShape{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, groups}), dy, w, dx,
                pvll::ref::conv_backward_input(s, dy, w, dx, accumulate != 0))
}

PVLL_API int pvll_ref_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias,
                                             int n, int cin, int h, int w_in, int cout, int kh,
                                             int kw, int stride, int padding, int dilation,
                                             int groups, int accumulate) {
  PVLL_REF_BODY("pvll_ref_conv2d_backward_weight",
                (ConvShape{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, groups}), x, dy, dw,
                pvll::ref::conv_backward_weight(s, x, dy, dw, dbias, accumulate != 0))
}

PVLL_API int pvll_ref_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h,
                                        int w_in, int k, int stride, int dilation) {
  PVLL_REF_BODY("pvll_ref_depthwise_forward", pvll::depthwise_shape(n, c, h, w_in, k, stride, dilation),
                x, w, y, pvll::ref::conv_forward<float>(s, x, w, nullptr, y))
}

PVLL_API int pvll_ref_depthwise_backward_input(const float* dy, const float* w, float* dx, int n,
                                               int c, int h, int w_in, int k, int stride,
                                               int dilation, int accumulate) {
  PVLL_REF_BODY("pvll_ref_depthwise_backward_input",
                pvll::depthwise_shape(n, c, h, w_in, k, stride, dilation), dy, w, dx,
                pvll::ref::conv_backward_input(s, dy, w, dx, accumulate != 0))
}

PVLL_API int pvll_ref_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n,
                                                int c, int h, int w_in, int k, int stride,
                                                int dilation, int accumulate) {
  PVLL_REF_BODY("pvll_ref_depthwise_backward_weight",
                pvll::depthwise_shape(n, c, h, w_in, k, stride, dilation), x, dy, dw,
                pvll::ref::conv_backward_weight<float>(s, x, dy, dw, nullptr, accumulate != 0))
}

PVLL_API int pvll_ref_pointwise_forward(const float* x, const float* w, float* y, int n, int cin,
                                        int h, int w_in, int cout) {
  PVLL_REF_BODY("pvll_ref_pointwise_forward", pvll::pointwise_shape(n, cin, h, w_in, cout), x, w, y,
                pvll::ref::conv_forward<float>(s, x, w, nullptr, y))
}

PVLL_API int pvll_ref_pointwise_backward_input(const float* dy, const float* w, float* dx, int n,
                                               int cin, int h, int w_in, int cout, int accumulate) {
  PVLL_REF_BODY("pvll_ref_pointwise_backward_input", pvll::pointwise_shape(n, cin, h, w_in, cout), dy,
                w, dx, pvll::ref::conv_backward_input(s, dy, w, dx, accumulate != 0))
}

PVLL_API int pvll_ref_pointwise_backward_weight(const float* x, const float* dy, float* dw, int n,
                                                int cin, int h, int w_in, int cout, int accumulate) {
  PVLL_REF_BODY("pvll_ref_pointwise_backward_weight", pvll::pointwise_shape(n, cin, h, w_in, cout), x,
                dy, dw, pvll::ref::conv_backward_weight<float>(s, x, dy, dw, nullptr, accumulate != 0))
}
