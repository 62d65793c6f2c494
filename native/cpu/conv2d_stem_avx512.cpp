// The stem conv forward (3x3, stride 1, padding 1, at most 4 input channels: 3->48 on 32x32 and
// 1->48 on 28x28 in the search) in AVX-512, read straight from x. With K = 9 cin this small, the
// product path (conv2d.cpp) spends as much on im2col, packing and 4x24 tiles of a 9- or 27-step
// sum as on the multiply-adds.
//
// Output pixels are taken flat, 16 at a time (row after row: no lane idles at the rows' ends, a
// 28x28 plane is 49 whole vectors). For a vector and a block of 24 output channels, 24
// accumulators start at the bias; each tap (ci, ky, kx) loads its shifted input vector once
// (masked: lanes whose input lies outside the plane, or in another row, are zero and touch no
// memory) and adds it times the 24 channels' weights, each a broadcast from memory inside the
// multiply-add (a separate broadcast per weight ran 1.2x slower on Zen 4). Measured with one
// thread against the product path: 3->48 on 64x3x32x32 1.10x, 1->48 on 64x1x28x28 1.02-1.05x;
// non-temporal stores of y were 1.1-1.3x faster alone but made the next read of y from memory
// cost more than they saved (the output, 10-13 MB, stays in the L3 otherwise).
// Each output is bias + its taps in (ci, ky, kx) order, as the product path sums them, and one
// thread computes it: results do not depend on the thread count.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "avx512.h"
#include "conv2d_stem.h"
#include "parallel.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll::avx512 {
namespace {

constexpr int kBlock = 24;  // output channels per pass: 24 accumulators of the 32 registers

/** Per 16-pixel vector of an output plane (pixels taken flat, row after row, so that no lane
 *  idles at the rows' ends: 28x28 is 49 whole vectors), the lanes whose input at tap (ky, kx)
 *  lies in the plane: masks[v * 9 + ky * 3 + kx]; the lanes past the plane's end are never set. */
std::vector<__mmask16> tap_masks(int h, int w) {
  const int hw = h * w, vectors = (hw + 15) / 16;
  std::vector<__mmask16> masks((size_t)vectors * 9, 0);
  for (int p = 0; p < hw; ++p)
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx) {
        const int iy = p / w + ky - 1, ix = p % w + kx - 1;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) masks[(size_t)(p / 16) * 9 + ky * 3 + kx] |= (__mmask16)(1u << (p % 16));
      }
  return masks;
}

/** Output vectors [v0, v1) of channels [co, co + kBlock) of one image; wt holds the weights tap-major (wt[t * cout + co]), so a block's 12 are adjacent. */
void stem_block(const ConvShape& s, const float* x, const float* wt, const float* bias, const __mmask16* masks,
                float* y, int v0, int v1, int co) {
  const int h = s.h, wd = s.w, hw = h * wd;
  for (int v = v0; v < v1; ++v) {
    const int p = v * 16;
    const __mmask16* m0 = masks + (size_t)v * 9;
    __m512 a[kBlock];
#pragma GCC unroll 24
    for (int c = 0; c < kBlock; ++c) a[c] = bias ? _mm512_set1_ps(bias[co + c]) : _mm512_setzero_ps();
    for (int ci = 0; ci < s.cin; ++ci) {
      const float* plane = x + (int64_t)ci * hw;
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ++ky)
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; ++kx) {
          const int tap = ky * 3 + kx, d = (ky - 1) * wd + kx - 1;
          const __m512 x0 = load(m0[tap], plane + p + d);
          const float* wk = wt + (int64_t)(ci * 9 + tap) * s.cout + co;
#pragma GCC unroll 24
          for (int c = 0; c < kBlock; ++c) a[c] = _mm512_fmadd_ps(x0, _mm512_set1_ps(wk[c]), a[c]);
        }
    }
    const __mmask16 s0 = lane_range(0, hw - p);
    float* out = y + (int64_t)co * hw + p;
#pragma GCC unroll 24
    for (int c = 0; c < kBlock; ++c) store(out + (int64_t)c * hw, s0, a[c], false);
  }
}

}  // namespace

bool stem_fits(const ConvShape& s) {
  return s.groups == 1 && s.kh == 3 && s.kw == 3 && s.stride == 1 && s.padding == 1 && s.dilation == 1 &&
         s.cin <= 4 && s.cout % kBlock == 0;
}

void stem_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int k = s.cin * 9, hw = s.h * s.w, vectors = (hw + 15) / 16;
  std::vector<float> wt((size_t)k * s.cout);  // tap-major
  for (int co = 0; co < s.cout; ++co)
    for (int t = 0; t < k; ++t) wt[(size_t)t * s.cout + co] = w[(size_t)co * k + t];
  const std::vector<__mmask16> masks = tap_masks(s.h, s.w);
  const int64_t x_image = (int64_t)s.cin * hw, y_image = (int64_t)s.cout * hw;
  // items: (image, band of up to 16 vectors); each writes its own pixels of every channel
  constexpr int kBand = 16;
  const int bands = (vectors + kBand - 1) / kBand;
  parallel_for((int64_t)s.n * bands, bands, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t img = item / bands;
      const int v0 = (int)(item % bands) * kBand, v1 = std::min(vectors, v0 + kBand);
      for (int co = 0; co < s.cout; co += kBlock)
        stem_block(s, x + img * x_image, wt.data(), bias, masks.data(), y + img * y_image, v0, v1, co);
    }
  });
}

}  // namespace pvll::avx512

#pragma GCC pop_options
