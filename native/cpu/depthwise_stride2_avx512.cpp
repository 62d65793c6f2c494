// Depthwise k x k (3 or 5), stride 2, dilation 1 or 2, forward pass, AVX-512, for input rows of
// at most 32 columns (output rows of at most 16); run only where use_avx512() (cpu_features.h).
// Straight from the planes, no padded copy: an output row (16 lanes) is the sum over the
// kernel's taps of input row 2o + (ky - k/2) d gathered at columns 2q + (kx - k/2) d. The input
// row is loaded as two masked vectors (columns 0-15, 16-31), and each tap's columns are picked
// from those 32 lanes by one two-source lane permute (vpermt2ps) with a zeroing mask for the
// columns outside the row. Output rows of at most 8 columns go two planes per vector (one
// channel in two images): lanes 0-7 from plane a's row, 8-15 from plane b's.
#include "depthwise_stride2_avx512.h"

#include <immintrin.h>

#include <algorithm>

#include "avx2.h"
#include "avx512.h"
#include "parallel.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll {
namespace {

using avx512::lane_range;
using avx512::load;
using avx512::Rows;

// Lane picks of the kernel columns: out lane q takes input column 2q + (kx - k/2) d, from the
// 32 lanes (first vector, second vector); masked where the column is outside the row or q is
// not an output column.
template <int K>
struct Picks {
  __m512i index[K];
  __mmask16 mask[K];
};

template <int K>
Picks<K> make_picks(int w, int ow, int d, bool pair) {
  Picks<K> p;
  for (int kx = 0; kx < K; ++kx) {
    alignas(64) int32_t idx[16];
    __mmask16 m = 0;
    for (int l = 0; l < 16; ++l) {
      const int q = pair ? l % 8 : l, col = 2 * q + (kx - K / 2) * d;
      const bool valid = q < ow && col >= 0 && col < w;
      idx[l] = valid ? (pair && l >= 8 ? 16 + col : col) : 0;
      if (valid) m |= (__mmask16)(1u << l);
    }
    p.index[kx] = _mm512_load_si512(idx);
    p.mask[kx] = m;
  }
  return p;
}

// Output rows of one plane (kPair: of two) of h x w input: y = x * wk (k x k taps, ky-major).
template <int K, bool kPair>
void plane_stride2(const float* xa, const float* xb, float* ya, float* yb, int h, int w, int oh, int ow, int d,
                   const Picks<K>& picks, const float* wk) {
  const __mmask16 lo = lane_range(0, w), hi = lane_range(0, w - 16);
  const Rows<kPair> out{nullptr, nullptr, ya, yb};
  for (int o = 0; o < oh; ++o) {
    __m512 acc = _mm512_setzero_ps();
    PVLL_UNROLL for (int ky = 0; ky < K; ++ky) {
      const int r = 2 * o + (ky - K / 2) * d;
      if (r < 0 || r >= h) continue;
      const float* ra = xa + (int64_t)r * w;
      __m512 first, second;
      if constexpr (kPair) {
        first = load(lo, ra);
        second = load(lo, xb + (int64_t)r * w);
      } else {
        first = load(lo, ra);
        second = load(hi, ra + 16);
      }
      PVLL_UNROLL for (int kx = 0; kx < K; ++kx) {
        const __m512 g = _mm512_maskz_permutex2var_ps(picks.mask[kx], first, picks.index[kx], second);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(wk[ky * K + kx]), g, acc);
      }
    }
    out.store((int64_t)o * ow, lane_range(0, ow), acc, false);
  }
}

template <int K>
void forward_stride2(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int d) {
  const int oh = (h - 1) / 2 + 1, ow = (w_in - 1) / 2 + 1;
  const int64_t in_plane = (int64_t)h * w_in, out_plane = (int64_t)oh * ow;
  // Work items: one plane, or (pair: input rows of at most 16 columns) one channel's planes in
  // images img and img + 1; outputs disjoint.
  const bool pair = w_in <= 16;
  const int per_item = pair ? 2 : 1;
  const Picks<K> single = make_picks<K>(w_in, ow, d, false), two = make_picks<K>(w_in, ow, d, true);
  const int64_t items = (int64_t)c * ((n + per_item - 1) / per_item);
  const int64_t grain = std::max<int64_t>(1, 2048 / (in_plane * per_item));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int ch = (int)(item % c), img = per_item * (int)(item / c);
      const float* wk = w + (int64_t)ch * K * K;
      const int64_t p = (int64_t)img * c + ch, q = p + c;
      if (pair && img + 1 < n)
        plane_stride2<K, true>(x + p * in_plane, x + q * in_plane, y + p * out_plane, y + q * out_plane, h, w_in, oh,
                               ow, d, two, wk);
      else
        plane_stride2<K, false>(x + p * in_plane, nullptr, y + p * out_plane, nullptr, h, w_in, oh, ow, d, single,
                                wk);
    }
  });
}

}  // namespace

namespace avx512 {

void depthwise_forward_stride2(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int k,
                               int d) {
  if (k == 3) forward_stride2<3>(x, w, y, n, c, h, w_in, d);
  else forward_stride2<5>(x, w, y, n, c, h, w_in, d);
}

}  // namespace avx512
}  // namespace pvll

#pragma GCC pop_options
