// Depthwise 5x5, stride 1, dilation 1 or 2 ("same" padding 2d), AVX-512 version of the forward
// pass (and of the input gradient, the forward pass of dy with the kernel flipped); run only
// where use_avx512() (cpu_features.h). Rows of at most 8 columns go two planes per vector. Straight from the planes,
// as depthwise3x3_avx512.cpp: each column vector (16 lanes) of a plane is swept down the rows of
// one parity at dilation 2 (rows of one parity never meet the other's), input row t loaded once
// at its five column shifts (masked loads: lanes outside the row read as zero and touch no
// memory) and added into the five output rows t + 2 .. t - 2 of the sequence held in registers;
// output row t - 2 is then complete and stored (masked). 5 loads per 25 FMAs.
#include "depthwise5x5_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "avx2.h"
#include "avx512.h"
#include "parallel.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll {
namespace {

using avx512::lane_range;
using avx512::Rows;

constexpr int K = 5, H = 2;  // kernel size, half of it

// Load masks of one column vector (column c0) at the column shifts (kx - 2) d, and its store mask.
struct ColumnMasks {
  __mmask16 shift[K];
  __mmask16 mid;
};

ColumnMasks column_masks(int c0, int w, int d) {
  ColumnMasks m;
  m.mid = lane_range(-c0, w - c0);
  for (int kx = 0; kx < K; ++kx) {
    const int s = (kx - H) * d;
    m.shift[kx] = m.mid & lane_range(-c0 - s, w - c0 - s);
  }
  return m;
}

// One column vector of the row sequence rows, rows + step, ... (count rows) swept down.
// wk: the 25 weights in tap order (ky, kx).
template <bool kPair>
inline void sweep_column(const Rows<kPair>& rows, int64_t step, int count, int d, const ColumnMasks& m,
                         const float* wk, bool accumulate) {
  // acc[k]: output row t + H - k of the sequence, for the input row t being added
  __m512 acc[K];
  for (int k = 0; k < K; ++k) acc[k] = _mm512_setzero_ps();
  for (int t = 0; t < count + H; ++t) {
    if (t < count) {
      __m512 xs[K];
      PVLL_UNROLL for (int kx = 0; kx < K; ++kx) xs[kx] = rows.load(m.shift[kx], t * step + (kx - H) * d);
      PVLL_UNROLL for (int k = 0; k < K; ++k)
        PVLL_UNROLL for (int kx = 0; kx < K; ++kx)
          acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(wk[k * K + kx]), xs[kx], acc[k]);
    }
    if (t >= H) rows.store((t - H) * step, m.mid, acc[K - 1], accumulate);
    PVLL_UNROLL for (int k = K - 1; k > 0; --k) acc[k] = acc[k - 1];
    acc[0] = _mm512_setzero_ps();
  }
}

// Planes a and b (kPair) of h x w: y (+)= x * wk, each row sequence of one parity swept down.
template <bool kPair>
void correlate_plane(const float* xa, const float* xb, float* ya, float* yb, int h, int w, int d,
                     const std::vector<ColumnMasks>& cols, const float* wk, bool accumulate) {
  for (int ph = 0; ph < d && ph < h; ++ph) {
    const int count = (h - ph + d - 1) / d;
    const int64_t first = (int64_t)ph * w;
    for (size_t v = 0; v < cols.size(); ++v) {
      const int64_t c0 = first + 16 * (int64_t)v;
      const Rows<kPair> rows{xa + c0, kPair ? xb + c0 : nullptr, ya + c0, kPair ? yb + c0 : nullptr};
      sweep_column(rows, (int64_t)d * w, count, d, cols[v], wk, accumulate);
    }
  }
}

}  // namespace

namespace avx512 {

void depthwise5x5_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int d,
                            bool flip, bool accumulate) {
  const int64_t plane = (int64_t)h * w_in;
  std::vector<ColumnMasks> cols;
  for (int c0 = 0; c0 < w_in; c0 += 16) cols.push_back(column_masks(c0, w_in, d));
  // Work items: one plane, or (pair, rows of at most 8 columns) one channel's planes in images
  // img and img + 1; outputs disjoint, each computed the same way whatever the thread count.
  const bool pair = w_in <= 8;
  const int per_item = pair ? 2 : 1;
  const int64_t items = (int64_t)c * ((n + per_item - 1) / per_item);
  const int64_t grain = std::max<int64_t>(1, 2048 / (plane * per_item));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    float wk[K * K];
    for (int64_t item = begin; item < end; ++item) {
      const int ch = (int)(item % c), img = per_item * (int)(item / c);
      const float* wc = w + (int64_t)ch * K * K;
      for (int t = 0; t < K * K; ++t) wk[t] = wc[flip ? K * K - 1 - t : t];
      const int64_t p = (int64_t)img * c + ch, q = p + c;
      if (pair && img + 1 < n)
        correlate_plane<true>(x + p * plane, x + q * plane, y + p * plane, y + q * plane, h, w_in, d, cols, wk,
                              accumulate);
      else
        correlate_plane<false>(x + p * plane, nullptr, y + p * plane, nullptr, h, w_in, d, cols, wk, accumulate);
    }
  });
}

}  // namespace avx512
}  // namespace pvll

#pragma GCC pop_options
