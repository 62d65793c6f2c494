// Depthwise k x k (3 or 5), stride 2, dilation 1 or 2, forward pass, AVX-512, for input rows of
// at most 32 columns (output rows of at most 16); run only where use_avx512() (cpu_features.h).
// Straight from the planes, no padded copy: an output row (16 lanes) is the sum over the
// kernel's taps of input row 2o + (ky - k/2) d gathered at columns 2q + (kx - k/2) d. The input
// row is loaded as two masked vectors (columns 0-15, 16-31), and each tap's columns are picked
// from those 32 lanes by one two-source lane permute (vpermt2ps) with a zeroing mask for the
// columns outside the row. Output rows of at most 8 columns go two planes per vector (one
// channel in two images): lanes 0-7 from plane a's row, 8-15 from plane b's. The 3x3 kernel at
// dilation 1 gathers each input row once for the two output rows it meets (plane_stride2_3x3:
// measured 1.25-1.55x faster than a gather per tap).
// Also the 3x3 (dilation 1) gradients, for the same rows: the input gradient by output phase
// straight from dy (no zero-upsampled copy), and the weight gradient by the forward's permutes.
#include "depthwise_stride2_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "avx2.h"
#include "avx512.h"
#include "conv_common.h"
#include "parallel.h"
#include "scratch.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll {
namespace {

using avx512::lane_range;
using avx512::load;
using avx512::Rows;
using avx512::hsum;

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

// The 3x3 (dilation 1) case of plane_stride2 with each input row gathered once: row 2o is kernel
// row 1 of output row o, row 2o+1 kernel row 2 of o and kernel row 0 of o+1 (6 lane permutes
// per output row, against 9).
template <bool kPair>
void plane_stride2_3x3(const float* xa, const float* xb, float* ya, float* yb, int h, int w, int oh, int ow,
                       const Picks<3>& picks, const float* wk) {
  const __mmask16 lo = lane_range(0, w), hi = lane_range(0, w - 16);
  const Rows<kPair> out{nullptr, nullptr, ya, yb};
  __m512 wt[9];
  for (int t = 0; t < 9; ++t) wt[t] = _mm512_set1_ps(wk[t]);
  auto gather = [&](int r, __m512 (&g)[3]) __attribute__((always_inline)) {
    const __m512 first = load(lo, xa + (int64_t)r * w);
    const __m512 second = kPair ? load(lo, xb + (int64_t)r * w) : load(hi, xa + (int64_t)r * w + 16);
    PVLL_UNROLL for (int kx = 0; kx < 3; ++kx)
      g[kx] = _mm512_maskz_permutex2var_ps(picks.mask[kx], first, picks.index[kx], second);
  };
  __m512 carry = _mm512_setzero_ps();  // kernel row 0 of output o (from input row 2o - 1)
  for (int o = 0; o < oh; ++o) {
    __m512 g[3];
    gather(2 * o, g);
    __m512 acc = _mm512_fmadd_ps(wt[3], g[0], carry);
    acc = _mm512_fmadd_ps(wt[4], g[1], acc);
    acc = _mm512_fmadd_ps(wt[5], g[2], acc);
    if (2 * o + 1 < h) {
      gather(2 * o + 1, g);
      acc = _mm512_fmadd_ps(wt[6], g[0], acc);
      acc = _mm512_fmadd_ps(wt[7], g[1], acc);
      acc = _mm512_fmadd_ps(wt[8], g[2], acc);
      carry = _mm512_mul_ps(wt[0], g[0]);
      carry = _mm512_fmadd_ps(wt[1], g[1], carry);
      carry = _mm512_fmadd_ps(wt[2], g[2], carry);
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
      if constexpr (K == 3) {
        if (d == 1) {
          if (pair && img + 1 < n)
            plane_stride2_3x3<true>(x + p * in_plane, x + q * in_plane, y + p * out_plane, y + q * out_plane, h,
                                    w_in, oh, ow, two, wk);
          else
            plane_stride2_3x3<false>(x + p * in_plane, nullptr, y + p * out_plane, nullptr, h, w_in, oh, ow, single,
                                     wk);
          continue;
        }
      }
      if (pair && img + 1 < n)
        plane_stride2<K, true>(x + p * in_plane, x + q * in_plane, y + p * out_plane, y + q * out_plane, h, w_in, oh,
                               ow, d, two, wk);
      else
        plane_stride2<K, false>(x + p * in_plane, nullptr, y + p * out_plane, nullptr, h, w_in, oh, ow, d, single,
                                wk);
    }
  });
}

// ---------------------------------------------------------------- 3x3 input gradient, phase split

// dx of a 3x3 stride-2 conv (dilation 1, padding 1) straight from dy, one output phase at a time:
// forward y[o][q] = sum w[ky][kx] x[2o+ky-1][2q+kx-1], so dx row 2i takes kernel row 1 of dy row i,
// and dx row 2i+1 kernel row 2 of dy row i plus kernel row 0 of dy row i+1; within a row, column
// 2j takes w[.][1] dy[j] and column 2j+1 takes w[.][2] dy[j] + w[.][0] dy[j+1]. Each dy row (16
// lanes, or 8 + 8 for a pair of planes) is loaded at shifts 0 and +1 and gives the even (E) and
// odd (O) columns of two dx rows, 9 FMAs in all (the zero-upsampled stride-1 correlation takes
// 36); E and O are interleaved into dx columns 0-15 and 16-31 by two lane permutes. Pairs: dx
// columns 0-15 of plane a are the first interleave, of plane b the second.
template <bool kPair>
void input_grad_plane_3x3(const Rows<kPair>& dy, float* dxa, float* dxb, int h, int w, int oh, int ow,
                          const __m512 (&wt)[9], const __m512i (&inter)[2], bool accumulate) {
  const __mmask16 at = lane_range(0, ow), shifted = lane_range(0, ow - 1);
  const __mmask16 first = lane_range(0, w), second = lane_range(0, w - 16);
  auto store_row = [&](int r, __m512 e, __m512 o) __attribute__((always_inline)) {
    const __m512 lo = _mm512_permutex2var_ps(e, inter[0], o), hi = _mm512_permutex2var_ps(e, inter[1], o);
    if constexpr (kPair) {
      avx512::store(dxa + (int64_t)r * w, first, lo, accumulate);
      avx512::store(dxb + (int64_t)r * w, first, hi, accumulate);
    } else {
      avx512::store(dxa + (int64_t)r * w, first, lo, accumulate);
      if (w > 16) avx512::store(dxa + (int64_t)r * w + 16, second, hi, accumulate);
    }
  };
  __m512 d = dy.load(at, 0), ds = dy.load(shifted, 1);
  for (int i = 0; i < oh; ++i) {
    // dx row 2i: kernel row 1 of dy row i
    store_row(2 * i, _mm512_mul_ps(wt[4], d), _mm512_fmadd_ps(wt[3], ds, _mm512_mul_ps(wt[5], d)));
    const bool more = i + 1 < oh;
    const int64_t next = (int64_t)(i + 1) * ow;
    const __m512 dn = more ? dy.load(at, next) : _mm512_setzero_ps();
    const __m512 dsn = more ? dy.load(shifted, next + 1) : _mm512_setzero_ps();
    if (2 * i + 1 < h) {
      // dx row 2i+1: kernel row 2 of dy row i, kernel row 0 of dy row i+1
      const __m512 e = _mm512_fmadd_ps(wt[1], dn, _mm512_mul_ps(wt[7], d));
      __m512 o = _mm512_fmadd_ps(wt[6], ds, _mm512_mul_ps(wt[8], d));
      o = _mm512_fmadd_ps(wt[0], dsn, _mm512_fmadd_ps(wt[2], dn, o));
      store_row(2 * i + 1, e, o);
    }
    d = dn;
    ds = dsn;
  }
}

void input_grad_3x3(const float* dy, const float* w, float* dx, int n, int c, int h, int w_in, bool accumulate) {
  const int oh = (h - 1) / 2 + 1, ow = (w_in - 1) / 2 + 1;
  const int64_t in_plane = (int64_t)oh * ow, out_plane = (int64_t)h * w_in;
  // dx lane l of a 16-column half takes E (even l) or O (odd l) at lane half*8 + l/2
  __m512i inter[2];
  for (int half = 0; half < 2; ++half) {
    alignas(64) int32_t idx[16];
    for (int l = 0; l < 16; ++l) idx[l] = (l % 2 ? 16 : 0) + half * 8 + l / 2;
    inter[half] = _mm512_load_si512(idx);
  }
  // work items as in the forward: one plane, or (dx rows of at most 16 columns) one channel's
  // planes in images img and img + 1; outputs disjoint
  const bool pair = w_in <= 16;
  const int per_item = pair ? 2 : 1;
  const int64_t items = (int64_t)c * ((n + per_item - 1) / per_item);
  const int64_t grain = std::max<int64_t>(1, 2048 / (out_plane * per_item));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    __m512 wt[9];
    for (int64_t item = begin; item < end; ++item) {
      const int ch = (int)(item % c), img = per_item * (int)(item / c);
      for (int t = 0; t < 9; ++t) wt[t] = _mm512_set1_ps(w[(int64_t)ch * 9 + t]);
      const int64_t p = (int64_t)img * c + ch, q = p + c;
      if (pair && img + 1 < n)
        input_grad_plane_3x3(Rows<true>{dy + p * in_plane, dy + q * in_plane, nullptr, nullptr}, dx + p * out_plane,
                             dx + q * out_plane, h, w_in, oh, ow, wt, inter, accumulate);
      else
        input_grad_plane_3x3(Rows<false>{dy + p * in_plane, nullptr, nullptr, nullptr}, dx + p * out_plane, nullptr,
                             h, w_in, oh, ow, wt, inter, accumulate);
    }
  });
}

// ---------------------------------------------------------------- 3x3 weight gradient

// The nine tap sums of one plane (or pair) added to acc: input row r gathered at the three
// kernel columns (the forward's lane permutes) times the dy rows it meets: row 2o is kernel
// row 1 of output row o; row 2o+1 kernel row 2 of o and kernel row 0 of o+1.
template <bool kPair>
[[gnu::always_inline]] inline void weight_plane_3x3(const float* xa, const float* xb, const float* dya,
                                                    const float* dyb, int h, int w, int oh, int ow,
                                                    const Picks<3>& picks, __m512 (&acc)[9]) {
  const __mmask16 lo = lane_range(0, w), hi = lane_range(0, w - 16), at = lane_range(0, ow);
  const Rows<kPair> dy{dya, dyb, nullptr, nullptr};
  auto gather = [&](int r, __m512 (&g)[3]) __attribute__((always_inline)) {
    const __m512 first = load(lo, xa + (int64_t)r * w);
    const __m512 second = kPair ? load(lo, xb + (int64_t)r * w) : load(hi, xa + (int64_t)r * w + 16);
    PVLL_UNROLL for (int kx = 0; kx < 3; ++kx)
      g[kx] = _mm512_maskz_permutex2var_ps(picks.mask[kx], first, picks.index[kx], second);
  };
  __m512 d = dy.load(at, 0);
  for (int o = 0; o < oh; ++o) {
    __m512 g[3];
    gather(2 * o, g);
    PVLL_UNROLL for (int kx = 0; kx < 3; ++kx) acc[3 + kx] = _mm512_fmadd_ps(d, g[kx], acc[3 + kx]);
    if (2 * o + 1 >= h) break;
    gather(2 * o + 1, g);
    PVLL_UNROLL for (int kx = 0; kx < 3; ++kx) acc[6 + kx] = _mm512_fmadd_ps(d, g[kx], acc[6 + kx]);
    if (o + 1 >= oh) break;
    d = dy.load(at, (int64_t)(o + 1) * ow);
    PVLL_UNROLL for (int kx = 0; kx < 3; ++kx) acc[kx] = _mm512_fmadd_ps(d, g[kx], acc[kx]);
  }
}

void weight_grad_3x3(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in, bool accumulate) {
  const int oh = (h - 1) / 2 + 1, ow = (w_in - 1) / 2 + 1;
  const int64_t in_plane = (int64_t)h * w_in, out_plane = (int64_t)oh * ow;
  // pairs: one channel in images img and img + 1 (dy rows of at most 8 columns), both halves of
  // a sum belonging to the same tap
  const bool pair = w_in <= 16;
  const Picks<3> single = make_picks<3>(w_in, ow, 1, false), two = make_picks<3>(w_in, ow, 1, true);
  // 16-lane float sums go to double after every `flush` images (about 1k terms per lane); with
  // pairs, after the pair that reaches a multiple of flush
  const int flush = (int)std::max<int64_t>(1, 16384 / in_plane);
  // Fixed chunks of images (reduce_over_images), each adding its images in order, by pairs
  // counted from the chunk's start: nothing depends on the thread count.
  std::vector<double> total;
  reduce_over_images(n, (size_t)c * 9, total, [&](int begin, int end, double* partial) {
    float* part = scratch(0, (size_t)c * 9 * 16);
    std::memset(part, 0, sizeof(float) * c * 9 * 16);
    for (int img = begin; img < end;) {
      const int take = pair && img + 1 < end ? 2 : 1;
      for (int ch = 0; ch < c; ++ch) {
        float* pc = part + (size_t)ch * 9 * 16;
        __m512 acc[9];
        for (int t = 0; t < 9; ++t) acc[t] = _mm512_load_ps(pc + 16 * t);
        const int64_t p = (int64_t)img * c + ch, q = p + c;
        if (take == 2)
          weight_plane_3x3<true>(x + p * in_plane, x + q * in_plane, dy + p * out_plane, dy + q * out_plane, h, w_in,
                                 oh, ow, two, acc);
        else
          weight_plane_3x3<false>(x + p * in_plane, nullptr, dy + p * out_plane, nullptr, h, w_in, oh, ow, single,
                                  acc);
        for (int t = 0; t < 9; ++t) _mm512_store_ps(pc + 16 * t, acc[t]);
      }
      const int done = img - begin;
      img += take;
      if ((img - begin) / flush != done / flush || img == end) {
        for (int i = 0; i < c * 9; ++i) {
          partial[i] += hsum(_mm512_load_ps(part + 16 * i));
          _mm512_store_ps(part + 16 * i, _mm512_setzero_ps());
        }
      }
    }
  });
  write_sum(dw, total.data(), (size_t)c * 9, accumulate);
}

}  // namespace

namespace avx512 {

void depthwise3x3_input_grad_stride2(const float* dy, const float* w, float* dx, int n, int c, int h, int w_in,
                                     bool accumulate) {
  input_grad_3x3(dy, w, dx, n, c, h, w_in, accumulate);
}

void depthwise3x3_weight_grad_stride2(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                                      bool accumulate) {
  weight_grad_3x3(x, dy, dw, n, c, h, w_in, accumulate);
}

void depthwise_forward_stride2(const float* x, const float* w, float* y, int n, int c, int h, int w_in, int k,
                               int d) {
  if (k == 3) forward_stride2<3>(x, w, y, n, c, h, w_in, d);
  else forward_stride2<5>(x, w, y, n, c, h, w_in, d);
}

}  // namespace avx512
}  // namespace pvll

#pragma GCC pop_options
