// Depthwise 3x3, stride 1, dilation 1, AVX-512 versions of depthwise3x3.cpp's forward (and input
// gradient) and weight gradient, 16 lanes per vector. Compiled with a target attribute and run
// only where use_avx512() says so (cpu_features.h); the AVX2 versions stay the fallback.
//
// Each column vector of a plane is swept down its rows as in depthwise3x3.cpp (input row j
// loaded once at three column shifts feeds output rows j+1, j, j-1 held in registers). Lanes
// outside the row are zero through masked loads (which touch no memory in the masked lanes, so
// no padded copy and no care at the tensor's ends) and the output is written with a masked
// store. Rows of at most 8 columns go two planes per vector (avx512::Rows): one 16-lane vector
// per 8x8 row ran no faster than the AVX2 kernels, nor did two whole rows per vector with their
// shifts by lane permutes. Rows of 9 to 32 columns (sweep_rows, weight_rows) are loaded once per
// vector and shifted by one lane in registers (valignd) for the -1/+1 taps: measured 1.15-1.25x
// faster (forward) and 1.05-1.1x (weight gradient) on 14, 16, 28 and 32 columns than three
// shifted masked loads, most of which straddle two cache lines.
#include "depthwise3x3.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

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

// Masks of one vector's loads at column shifts -1, 0, +1 (lanes whose shifted column lies in
// the row) and of its store (lanes in the row).
struct Masks {
  __mmask16 left, mid, right;
};

// Column vector at column c0 of a row of width w (lanes of columns c0 + l < w only).
Masks column_masks(int c0, int w) {
  const __mmask16 mid = lane_range(-c0, w - c0);
  return {(__mmask16)(mid & lane_range(1 - c0, w + 1 - c0)), mid, (__mmask16)(mid & lane_range(-1 - c0, w - 1 - c0))};
}

// ---------------------------------------------------------------- forward (and input gradient)

// One column vector (column c0) of a plane (or a pair of planes, rows of at most 8 columns) of
// h rows of width w swept down: y (+)= x * wt.
template <bool kPair>
inline void sweep_column(const Rows<kPair>& rows, int h, int w, const Masks& m, const __m512 (&wt)[9], bool accumulate) {
  __m512 row0 = _mm512_setzero_ps(), rows01 = _mm512_setzero_ps();
  for (int j = 0; j < h; ++j) {
    const int64_t in = (int64_t)j * w;
    const __m512 l = rows.load(m.left, in - 1), c = rows.load(m.mid, in), r = rows.load(m.right, in + 1);
    __m512 a2 = _mm512_fmadd_ps(wt[6], l, rows01);
    __m512 a1 = _mm512_fmadd_ps(wt[3], l, row0);
    __m512 a0 = _mm512_mul_ps(wt[0], l);
    a2 = _mm512_fmadd_ps(wt[7], c, a2);
    a1 = _mm512_fmadd_ps(wt[4], c, a1);
    a0 = _mm512_fmadd_ps(wt[1], c, a0);
    a2 = _mm512_fmadd_ps(wt[8], r, a2);
    a1 = _mm512_fmadd_ps(wt[5], r, a1);
    a0 = _mm512_fmadd_ps(wt[2], r, a0);
    if (j > 0) rows.store(in - w, m.mid, a2, accumulate);
    rows01 = a1;
    row0 = a0;
  }
  rows.store((int64_t)(h - 1) * w, m.mid, rows01, accumulate);  // input row h is padding
}

// Lane shifts of a row held in NV vectors (v[0]: columns 0-15, v[1]: 16-31; lanes past the
// row zero): left[i] lane l = column 16i + l - 1, right[i] = column 16i + l + 1, zero outside
// the row. One load per vector and lane shifts (valignd), instead of three loads at column
// shifts -1, 0, +1 that mostly straddle two cache lines.
template <int NV>
[[gnu::always_inline]] inline void row_shifts(const __m512 (&v)[NV], __m512 (&left)[NV], __m512 (&right)[NV]) {
  const __m512i z = _mm512_setzero_si512();
  PVLL_UNROLL for (int i = 0; i < NV; ++i) {
    const __m512i cur = _mm512_castps_si512(v[i]);
    const __m512i prev = i > 0 ? _mm512_castps_si512(v[i - 1]) : z;
    const __m512i next = i + 1 < NV ? _mm512_castps_si512(v[i + 1]) : z;
    left[i] = _mm512_castsi512_ps(_mm512_alignr_epi32(cur, prev, 15));
    right[i] = _mm512_castsi512_ps(_mm512_alignr_epi32(next, cur, 1));
  }
}

// A plane whose rows fit NV vectors (at most 16 NV columns) swept down, all its column vectors
// together: y (+)= x * wt, as sweep_column.
template <int NV>
void sweep_rows(const float* x, float* y, int h, int w, const __m512 (&wt)[9], bool accumulate) {
  __mmask16 m[NV];
  PVLL_UNROLL for (int i = 0; i < NV; ++i) m[i] = lane_range(-16 * i, w - 16 * i);
  __m512 row0[NV], rows01[NV];
  PVLL_UNROLL for (int i = 0; i < NV; ++i) row0[i] = rows01[i] = _mm512_setzero_ps();
  for (int j = 0; j < h; ++j) {
    const float* in = x + (int64_t)j * w;
    __m512 c[NV], l[NV], r[NV];
    PVLL_UNROLL for (int i = 0; i < NV; ++i) c[i] = load(m[i], in + 16 * i);
    row_shifts<NV>(c, l, r);
    PVLL_UNROLL for (int i = 0; i < NV; ++i) {
      __m512 a2 = _mm512_fmadd_ps(wt[6], l[i], rows01[i]);
      __m512 a1 = _mm512_fmadd_ps(wt[3], l[i], row0[i]);
      __m512 a0 = _mm512_mul_ps(wt[0], l[i]);
      a2 = _mm512_fmadd_ps(wt[7], c[i], a2);
      a1 = _mm512_fmadd_ps(wt[4], c[i], a1);
      a0 = _mm512_fmadd_ps(wt[1], c[i], a0);
      a2 = _mm512_fmadd_ps(wt[8], r[i], a2);
      a1 = _mm512_fmadd_ps(wt[5], r[i], a1);
      a0 = _mm512_fmadd_ps(wt[2], r[i], a0);
      if (j > 0) avx512::store(y + (int64_t)(j - 1) * w + 16 * i, m[i], a2, accumulate);
      rows01[i] = a1;
      row0[i] = a0;
    }
  }
  PVLL_UNROLL for (int i = 0; i < NV; ++i)  // input row h is padding
    avx512::store(y + (int64_t)(h - 1) * w + 16 * i, m[i], rows01[i], accumulate);
}

// ---------------------------------------------------------------- weight gradient

// The nine tap sums of one x row (at its shifts l, c, r) times dy rows j+1, j, j-1, added to a.
[[gnu::always_inline]] inline void weight_taps(__m512 l, __m512 c, __m512 r, __m512 dnext, __m512 dcur, __m512 dprev,
                                               __m512 (&a)[9]) {
  a[0] = _mm512_fmadd_ps(dnext, l, a[0]);
  a[1] = _mm512_fmadd_ps(dnext, c, a[1]);
  a[2] = _mm512_fmadd_ps(dnext, r, a[2]);
  a[3] = _mm512_fmadd_ps(dcur, l, a[3]);
  a[4] = _mm512_fmadd_ps(dcur, c, a[4]);
  a[5] = _mm512_fmadd_ps(dcur, r, a[5]);
  a[6] = _mm512_fmadd_ps(dprev, l, a[6]);
  a[7] = _mm512_fmadd_ps(dprev, c, a[7]);
  a[8] = _mm512_fmadd_ps(dprev, r, a[8]);
}

// The nine tap sums of one row (at offset in) of x, added to acc: x at its three shifts times
// the dy rows below, at and above it (kernel rows 0, 1, 2).
template <bool kPair>
[[gnu::always_inline]] inline void weight_row(const Rows<kPair>& x, int64_t in, __m512 dnext, __m512 dcur,
                                              __m512 dprev, const Masks& m, __m512 (&acc)[9]) {
  weight_taps(x.load(m.left, in - 1), x.load(m.mid, in), x.load(m.right, in + 1), dnext, dcur, dprev, acc);
}

// The nine tap sums of one column vector of a plane, added to acc: x row j at its three shifts
// times dy rows j+1, j, j-1. Even and odd rows go to two sets of sums (two independent chains
// per tap), added at the end. Rows of at most 8 columns: two planes per vector (both halves
// of a sum belong to the same tap).
template <bool kPair>
[[gnu::always_inline]] inline void weight_column(const Rows<kPair>& x, const Rows<kPair>& dy, int h, int w,
                                                 const Masks& m, __m512 (&acc)[9]) {
  __m512 odd[9];
  for (int t = 0; t < 9; ++t) odd[t] = _mm512_setzero_ps();
  __m512 dprev = _mm512_setzero_ps(), dcur = dy.load(m.mid, 0);
  int j = 0;
  for (; j + 2 <= h; j += 2) {
    const __m512 d1 = dy.load(m.mid, (int64_t)(j + 1) * w);
    const __m512 d2 = dy.load(j + 2 < h ? m.mid : 0, (int64_t)(j + 2) * w);
    weight_row(x, (int64_t)j * w, d1, dcur, dprev, m, acc);
    weight_row(x, (int64_t)(j + 1) * w, d2, d1, dcur, m, odd);
    dprev = d1;
    dcur = d2;
  }
  if (j < h) weight_row(x, (int64_t)j * w, _mm512_setzero_ps(), dcur, dprev, m, acc);
  for (int t = 0; t < 9; ++t) acc[t] = _mm512_add_ps(acc[t], odd[t]);
}

// The nine tap sums of a plane whose rows fit NV vectors (at most 16 NV columns), added to acc:
// each x row loaded once and shifted in registers (row_shifts). Two sets of sums (two
// independent chains per tap): the two column vectors (NV = 2), or even and odd rows (NV = 1).
template <int NV>
[[gnu::always_inline]] inline void weight_rows(const float* x, const float* dy, int h, int w, __m512 (&acc)[9]) {
  __mmask16 m[NV];
  PVLL_UNROLL for (int i = 0; i < NV; ++i) m[i] = lane_range(-16 * i, w - 16 * i);
  __m512 other[9];
  for (int t = 0; t < 9; ++t) other[t] = _mm512_setzero_ps();
  __m512 dprev[NV], dcur[NV];
  PVLL_UNROLL for (int i = 0; i < NV; ++i) {
    dprev[i] = _mm512_setzero_ps();
    dcur[i] = load(m[i], dy + 16 * i);
  }
  for (int j = 0; j < h; ++j) {
    __m512 dnext[NV], c[NV], l[NV], r[NV];
    PVLL_UNROLL for (int i = 0; i < NV; ++i) {
      dnext[i] = j + 1 < h ? load(m[i], dy + (int64_t)(j + 1) * w + 16 * i) : _mm512_setzero_ps();
      c[i] = load(m[i], x + (int64_t)j * w + 16 * i);
    }
    row_shifts<NV>(c, l, r);
    if constexpr (NV == 2) {
      weight_taps(l[0], c[0], r[0], dnext[0], dcur[0], dprev[0], acc);
      weight_taps(l[1], c[1], r[1], dnext[1], dcur[1], dprev[1], other);
    } else if (j & 1) {
      weight_taps(l[0], c[0], r[0], dnext[0], dcur[0], dprev[0], other);
    } else {
      weight_taps(l[0], c[0], r[0], dnext[0], dcur[0], dprev[0], acc);
    }
    PVLL_UNROLL for (int i = 0; i < NV; ++i) {
      dprev[i] = dcur[i];
      dcur[i] = dnext[i];
    }
  }
  for (int t = 0; t < 9; ++t) acc[t] = _mm512_add_ps(acc[t], other[t]);
}

}  // namespace

namespace avx512 {

void depthwise3x3_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in, bool flip,
                            bool accumulate) {
  const int64_t plane = (int64_t)h * w_in;
  std::vector<Masks> cols;
  for (int c0 = 0; c0 < w_in; c0 += 16) cols.push_back(column_masks(c0, w_in));
  // Work items: one plane, or (pair, rows of at most 8 columns) one channel's planes in images
  // img and img + 1; outputs disjoint, each computed the same way whatever the thread count.
  const bool pair = w_in <= 8;
  const bool rows_in_registers = w_in <= 32;
  const int per_item = pair ? 2 : 1;
  const int64_t items = (int64_t)c * ((n + per_item - 1) / per_item);
  const int64_t grain = std::max<int64_t>(1, 2048 / (plane * per_item));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    __m512 wt[9];
    for (int64_t item = begin; item < end; ++item) {
      const int ch = (int)(item % c), img = per_item * (int)(item / c);
      const float* wc = w + (int64_t)ch * 9;
      for (int t = 0; t < 9; ++t) wt[t] = _mm512_set1_ps(wc[flip ? 8 - t : t]);
      const int64_t p = (int64_t)img * c + ch, q = p + c;
      if (pair && img + 1 < n) {
        sweep_column(Rows<true>{x + p * plane, x + q * plane, y + p * plane, y + q * plane}, h, w_in, cols[0], wt,
                     accumulate);
      } else if (rows_in_registers && w_in <= 16) {
        sweep_rows<1>(x + p * plane, y + p * plane, h, w_in, wt, accumulate);
      } else if (rows_in_registers) {
        sweep_rows<2>(x + p * plane, y + p * plane, h, w_in, wt, accumulate);
      } else {
        for (size_t v = 0; v < cols.size(); ++v) {
          const int c0 = 16 * (int)v;
          sweep_column(Rows<false>{x + p * plane + c0, nullptr, y + p * plane + c0, nullptr}, h, w_in, cols[v], wt,
                       accumulate);
        }
      }
    }
  });
}

void depthwise3x3_weight_grad(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                              bool accumulate) {
  const int64_t plane = (int64_t)h * w_in;
  std::vector<Masks> cols;
  for (int c0 = 0; c0 < w_in; c0 += 16) cols.push_back(column_masks(c0, w_in));
  // 16-lane float sums go to double every `flush` images (about 1k terms per lane)
  const int flush = (int)std::max<int64_t>(1, 16384 / plane);
  const bool rows_in_registers = w_in <= 32;
  auto add_plane = [&](int64_t p, __m512 (&acc)[9]) __attribute__((always_inline)) {
    if (rows_in_registers && w_in <= 16) return weight_rows<1>(x + p * plane, dy + p * plane, h, w_in, acc);
    if (rows_in_registers) return weight_rows<2>(x + p * plane, dy + p * plane, h, w_in, acc);
    for (size_t v = 0; v < cols.size(); ++v) {
      const int64_t at = p * plane + 16 * (int64_t)v;
      weight_column(Rows<false>{x + at, nullptr, nullptr, nullptr}, Rows<false>{dy + at, nullptr, nullptr, nullptr},
                    h, w_in, cols[v], acc);
    }
  };
  // planes p and q (rows of at most 8 columns) in the two halves of the vectors
  auto add_pair = [&](int64_t p, int64_t q, __m512 (&acc)[9]) __attribute__((always_inline)) {
    weight_column(Rows<true>{x + p * plane, x + q * plane, nullptr, nullptr},
                  Rows<true>{dy + p * plane, dy + q * plane, nullptr, nullptr}, h, w_in, cols[0], acc);
  };
  // As depthwise3x3.cpp: fixed chunks of images, partials added in chunk order, each channel's
  // float sums over the same images whichever loop order runs (no thread dependence).
  std::vector<double> total;
  reduce_over_images(n, (size_t)c * 9, total, [&](int begin, int end, double* partial) {
    if (plane <= 64) {
      // small planes: one channel's images of a flush group back to back, sums in registers
      for (int g0 = begin; g0 < end; g0 += flush) {
        const int g1 = std::min(end, g0 + flush);
        for (int ch = 0; ch < c; ++ch) {
          __m512 acc[9];
          for (int t = 0; t < 9; ++t) acc[t] = _mm512_setzero_ps();
          // images in order, by pairs where rows have at most 8 columns (the pairs depend on the
          // flush group only, not on the thread count)
          for (int img = g0; img < g1;) {
            const int take = w_in <= 8 && img + 1 < g1 ? 2 : 1;
            const int64_t p = (int64_t)img * c + ch;
            for (int i = 0; i < take && img + take + i < g1; ++i) {
              const int64_t next = p + (int64_t)(take + i) * c;
              for (int64_t b = 0; b < plane; b += 16) {
                _mm_prefetch((const char*)(x + next * plane + b), _MM_HINT_T0);
                _mm_prefetch((const char*)(dy + next * plane + b), _MM_HINT_T0);
              }
            }
            if (take == 2) add_pair(p, p + c, acc);
            else add_plane(p, acc);
            img += take;
          }
          for (int t = 0; t < 9; ++t) partial[ch * 9 + t] += hsum(acc[t]);
        }
      }
      return;
    }
    // larger planes in memory order, sums kept per channel
    float* part = scratch(0, (size_t)c * 9 * 16);
    std::memset(part, 0, sizeof(float) * c * 9 * 16);
    for (int img = begin; img < end; ++img) {
      for (int ch = 0; ch < c; ++ch) {
        float* pc = part + (size_t)ch * 9 * 16;
        __m512 acc[9];
        for (int t = 0; t < 9; ++t) acc[t] = _mm512_load_ps(pc + 16 * t);
        add_plane((int64_t)img * c + ch, acc);
        for (int t = 0; t < 9; ++t) _mm512_store_ps(pc + 16 * t, acc[t]);
      }
      if ((img - begin + 1) % flush == 0 || img + 1 == end) {
        for (int i = 0; i < c * 9; ++i) {
          partial[i] += hsum(_mm512_load_ps(part + 16 * i));
          _mm512_store_ps(part + 16 * i, _mm512_setzero_ps());
        }
      }
    }
  });
  write_sum(dw, total.data(), (size_t)c * 9, accumulate);
}

}  // namespace avx512
}  // namespace pvll

#pragma GCC pop_options
