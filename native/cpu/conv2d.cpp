// General conv2d (groups = 1) as products on the packed 4x24 micro-kernel (gemm.h):
//   forward          y[img]  = W [cout x cin*kh*kw] * im2col(x[img])      (+ bias)
//   input gradient   dx[img] = col2im(W^T * dy[img])
//   weight gradient  dW      = sum over images of dy[img] * im2col(x[img])^T (fixed chunks)
// 1x1 convolutions with stride 1 and no padding skip im2col (pointwise.cpp). Used for the
// stem, the strided 1x1 convs of FactorizedReduce and the auxiliary head: small K, many pixels.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "conv_shape.h"
#include "gemm.h"
#include "pointwise.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "status.h"

namespace pvll {
namespace {

// Output columns ox whose input column ox*stride + offset lies in [0, w): [lo, hi).
struct Span {
  int lo, hi;
};

Span valid_span(int offset, int stride, int w, int ow) {
  int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int hi = w - 1 - offset >= 0 ? (w - 1 - offset) / stride + 1 : 0;
  lo = std::min(lo, ow);
  hi = std::clamp(hi, lo, ow);
  return Span{lo, hi};
}

// col [cin*kh*kw][oh*ow] of one image: col[(ci,ky,kx)][oy*ow+ox] = x[ci][oy*s-p+ky*d][ox*s-p+kx*d].
void im2col(const ConvShape& s, const float* x, float* col) {
  const int oh = s.oh(), ow = s.ow(), st = s.stride;
  for (int ci = 0; ci < s.cin; ++ci)
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        const int offset = kx * s.dilation - s.padding;
        const Span span = valid_span(offset, st, s.w, ow);
        float* row = col + (((int64_t)ci * s.kh + ky) * s.kw + kx) * oh * ow;
        for (int oy = 0; oy < oh; ++oy, row += ow) {
          const int iy = oy * st - s.padding + ky * s.dilation;
          if (iy < 0 || iy >= s.h) {
            std::memset(row, 0, sizeof(float) * ow);
            continue;
          }
          const float* src = x + ((int64_t)ci * s.h + iy) * s.w + offset;
          std::memset(row, 0, sizeof(float) * span.lo);
          if (st == 1) std::memcpy(row + span.lo, src + span.lo, sizeof(float) * (span.hi - span.lo));
          else
            for (int ox = span.lo; ox < span.hi; ++ox) row[ox] = src[ox * st];
          std::memset(row + span.hi, 0, sizeof(float) * (ow - span.hi));
        }
      }
}

// The adjoint of im2col: dx[ci][iy][ix] += dcol[(ci,ky,kx)][oy*ow+ox], in a fixed order.
void col2im(const ConvShape& s, const float* dcol, float* dx) {
  const int oh = s.oh(), ow = s.ow(), st = s.stride;
  for (int ci = 0; ci < s.cin; ++ci)
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        const int offset = kx * s.dilation - s.padding;
        const Span span = valid_span(offset, st, s.w, ow);
        const float* row = dcol + (((int64_t)ci * s.kh + ky) * s.kw + kx) * oh * ow;
        for (int oy = 0; oy < oh; ++oy, row += ow) {
          const int iy = oy * st - s.padding + ky * s.dilation;
          if (iy < 0 || iy >= s.h) continue;
          float* dst = dx + ((int64_t)ci * s.h + iy) * s.w + offset;
          if (st == 1)
            for (int ox = span.lo; ox < span.hi; ++ox) dst[ox] += row[ox];
          else
            for (int ox = span.lo; ox < span.hi; ++ox) dst[ox * st] += row[ox];
        }
      }
}

bool is_plain_1x1(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride == 1 && s.padding == 0;
}

void forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  std::vector<float> ap(gemm::packed_a_size(s.cout, kdim));
  gemm::pack_a(w, kdim, 1, s.cout, kdim, ap.data());
  parallel_for(s.n, 1, [&](int64_t begin, int64_t end) {
    float* col = scratch(1, (size_t)kdim * pix);
    float* bp = scratch(0, gemm::packed_b_size(kdim, pix));
    for (int64_t img = begin; img < end; ++img) {
      im2col(s, x + img * s.cin * s.h * s.w, col);
      gemm::pack_b(col, pix, kdim, pix, bp);
      gemm::multiply_packed(s.cout, pix, kdim, ap.data(), bp, y + img * s.cout * pix, pix, false, bias);
    }
  });
}

void backward_input(const ConvShape& s, const float* dy, const float* w, float* dx, bool accumulate) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  const int64_t image = (int64_t)s.cin * s.h * s.w;
  std::vector<float> ap(gemm::packed_a_size(kdim, s.cout));
  gemm::pack_a(w, 1, kdim, kdim, s.cout, ap.data());  // W^T
  parallel_for(s.n, 1, [&](int64_t begin, int64_t end) {
    float* dcol = scratch(1, (size_t)kdim * pix);
    float* bp = scratch(0, gemm::packed_b_size(s.cout, pix));
    for (int64_t img = begin; img < end; ++img) {
      gemm::pack_b(dy + img * s.cout * pix, pix, s.cout, pix, bp);
      gemm::multiply_packed(kdim, pix, s.cout, ap.data(), bp, dcol, pix, false, nullptr);
      float* dxi = dx + img * image;
      if (!accumulate) std::memset(dxi, 0, sizeof(float) * image);
      col2im(s, dcol, dxi);
    }
  });
}

void backward_weight(const ConvShape& s, const float* x, const float* dy, float* dw, float* dbias,
                     bool accumulate) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  const size_t wlen = (size_t)s.cout * kdim, len = wlen + (dbias ? s.cout : 0);
  std::vector<double> total;
  reduce_over_images(s.n, len, total, [&](int img, double* partial) {
    float* col = scratch(1, (size_t)kdim * pix);
    im2col(s, x + (int64_t)img * s.cin * s.h * s.w, col);
    const float* dyi = dy + (int64_t)img * s.cout * pix;
    gemm::multiply_nt_accumulate(s.cout, kdim, pix, dyi, pix, col, pix, partial, kdim);
    if (dbias)
      for (int co = 0; co < s.cout; ++co) partial[wlen + co] += row_sum(dyi + (int64_t)co * pix, pix);
  });
  write_sum(dw, total.data(), wlen, accumulate);
  if (dbias) write_sum(dbias, total.data() + wlen, s.cout, accumulate);
}

int check(const char* name, const ConvShape& s, const void* a, const void* b, const void* c) {
  PVLL_REQUIRE(s.valid(), "%s: bad shape (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE((int64_t)s.cin * s.kh * s.kw * s.oh() * s.ow() <= INT32_MAX &&
                   (int64_t)s.cin * s.h * s.w <= INT32_MAX && (int64_t)s.cout * s.oh() * s.ow() <= INT32_MAX,
               "%s: image too large (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE(a && b && c, "%s: NULL tensor pointer", name);
  return PVLL_OK;
}

}  // namespace
}  // namespace pvll

using pvll::ConvShape;

PVLL_API int pvll_conv2d_forward(const float* x, const float* w, const float* bias, float* y, int n,
                                 int cin, int h, int w_in, int cout, int kh, int kw, int stride,
                                 int padding, int dilation) {
  const char* name = "pvll_conv2d_forward";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, x, w, y)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s)) pvll::pointwise_forward(x, w, bias, y, n, cin, h * w_in, cout);
    else pvll::forward(s, x, w, bias, y);
  })
  return PVLL_OK;
}

PVLL_API int pvll_conv2d_backward_input(const float* dy, const float* w, float* dx, int n, int cin,
                                        int h, int w_in, int cout, int kh, int kw, int stride,
                                        int padding, int dilation, int accumulate) {
  const char* name = "pvll_conv2d_backward_input";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, dy, w, dx)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s)) pvll::pointwise_backward_input(dy, w, dx, n, cin, h * w_in, cout, accumulate != 0);
    else pvll::backward_input(s, dy, w, dx, accumulate != 0);
  })
  return PVLL_OK;
}

PVLL_API int pvll_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias,
                                         int n, int cin, int h, int w_in, int cout, int kh, int kw,
                                         int stride, int padding, int dilation, int accumulate) {
  const char* name = "pvll_conv2d_backward_weight";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, x, dy, dw)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s))
      pvll::pointwise_backward_weight(x, dy, dw, dbias, n, cin, h * w_in, cout, accumulate != 0);
    else pvll::backward_weight(s, x, dy, dw, dbias, accumulate != 0);
  })
  return PVLL_OK;
}
