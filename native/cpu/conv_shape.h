// Shape of one convolution call and the argument checks every conv entry point shares.
#pragma once
#include <cstdint>

namespace pvll {

/** Output size of a convolution along one axis; 0 when the window does not fit at all. */
inline int conv_out_size(int in, int k, int stride, int padding, int dilation) {
  const int64_t span = (int64_t)in + 2 * (int64_t)padding - (int64_t)dilation * (k - 1) - 1;
  return span < 0 ? 0 : (int)(span / stride + 1);
}

struct ConvShape {
  int n, cin, h, w, cout, kh, kw, stride, padding, dilation, groups;
  int oh() const { return conv_out_size(h, kh, stride, padding, dilation); }
  int ow() const { return conv_out_size(w, kw, stride, padding, dilation); }
  int64_t x_size() const { return (int64_t)n * cin * h * w; }
  int64_t y_size() const { return (int64_t)n * cout * oh() * ow(); }
  int64_t w_size() const { return (int64_t)cout * (cin / groups) * kh * kw; }
  /** Whether sizes are positive, groups divide the channels and the output is non-empty. */
  bool valid() const {
    return n > 0 && cin > 0 && h > 0 && w > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 &&
           padding >= 0 && dilation > 0 && groups > 0 && cin % groups == 0 &&
           cout % groups == 0 && oh() > 0 && ow() > 0;
  }
};

inline ConvShape depthwise_shape(int n, int c, int h, int w, int k, int stride, int dilation) {
  return ConvShape{n, c, h, w, c, k, k, stride, dilation * (k - 1) / 2, dilation, c};
}

inline ConvShape pointwise_shape(int n, int cin, int h, int w, int cout) {
  return ConvShape{n, cin, h, w, cout, 1, 1, 1, 0, 1, 1};
}

/** The depthwise kernels take odd k up to 15, stride 1 or 2, dilation 1 to 8. */
inline bool depthwise_supported(int k, int stride, int dilation) {
  return k >= 1 && k <= 15 && k % 2 == 1 && (stride == 1 || stride == 2) && dilation >= 1 &&
         dilation <= 8;
}

}  // namespace pvll

#define PVLL_CONV_FMT "n=%d cin=%d h=%d w=%d cout=%d k=%dx%d stride=%d padding=%d dilation=%d groups=%d"
#define PVLL_CONV_ARGS(s) \
  s.n, s.cin, s.h, s.w, s.cout, s.kh, s.kw, s.stride, s.padding, s.dilation, s.groups
