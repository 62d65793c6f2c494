// Depthwise 3x3, stride 1, dilation 1, AVX-512 versions of depthwise3x3.cpp's forward (and input
// gradient) and weight gradient, 16 lanes per vector. Compiled with a target attribute and run
// only where use_avx512() says so (cpu_features.h); the AVX2 versions stay the fallback.
//
// Used for rows of more than 8 columns (on 8x8 and 7x7 planes neither a 16-lane vector per
// row nor two whole rows per vector, their shifts by lane permutes, beat the AVX2 kernels,
// which pair planes there), the weight gradient for rows of more
// than 16 (see the dispatch in depthwise3x3.cpp). Each column vector of a plane is swept down
// its rows as in depthwise3x3.cpp (input row j loaded once at three column shifts feeds output
// rows j+1, j, j-1 held in registers). Lanes outside the row are zero through masked loads
// (which touch no memory in the masked lanes, so no padded copy and no care at the tensor's
// ends) and the output is written with a masked store.
#include "depthwise3x3.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "parallel.h"
#include "scratch.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll {
namespace {

// Lanes [lo, hi) of 16 set.
inline __mmask16 lane_range(int lo, int hi) {
  lo = std::max(lo, 0);
  hi = std::min(hi, 16);
  return hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// Masks of one vector's loads at column shifts -1, 0, +1 (lanes whose shifted column lies in
// the row) and of its store (lanes in the row).
struct Masks {
  __mmask16 left, mid, right;
};

// Column vector at column c0 of a row of width w (rows of more than 8 columns).
Masks column_masks(int c0, int w) {
  return {lane_range(1 - c0, w + 1 - c0), lane_range(-c0, w - c0), lane_range(-1 - c0, w - 1 - c0)};
}

inline __m512 load(__mmask16 k, const float* p) { return _mm512_maskz_loadu_ps(k, p); }

inline void store(float* p, __mmask16 k, __m512 v, bool accumulate) {
  if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, p));
  if (k == 0xFFFF) _mm512_storeu_ps(p, v);
  else _mm512_mask_storeu_ps(p, k, v);
}

// Sum of the 16 lanes, always in the same order.
inline double hsum(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ---------------------------------------------------------------- forward (and input gradient)

// One column vector (column c0) of a plane of h rows of width w swept down: y (+)= x * wt.
inline void sweep_column(const float* x, float* y, int h, int w, int c0, const Masks& m, const __m512 (&wt)[9],
                         bool accumulate) {
  __m512 row0 = _mm512_setzero_ps(), rows01 = _mm512_setzero_ps();
  const float* in = x + c0;
  float* out = y + c0;
  for (int j = 0; j < h; ++j, in += w) {
    const __m512 l = load(m.left, in - 1), c = load(m.mid, in), r = load(m.right, in + 1);
    __m512 a2 = _mm512_fmadd_ps(wt[6], l, rows01);
    __m512 a1 = _mm512_fmadd_ps(wt[3], l, row0);
    __m512 a0 = _mm512_mul_ps(wt[0], l);
    a2 = _mm512_fmadd_ps(wt[7], c, a2);
    a1 = _mm512_fmadd_ps(wt[4], c, a1);
    a0 = _mm512_fmadd_ps(wt[1], c, a0);
    a2 = _mm512_fmadd_ps(wt[8], r, a2);
    a1 = _mm512_fmadd_ps(wt[5], r, a1);
    a0 = _mm512_fmadd_ps(wt[2], r, a0);
    if (j > 0) store(out + (int64_t)(j - 1) * w, m.mid, a2, accumulate);
    rows01 = a1;
    row0 = a0;
  }
  store(out + (int64_t)(h - 1) * w, m.mid, rows01, accumulate);  // input row h is padding
}

// ---------------------------------------------------------------- weight gradient

// The nine tap sums of one column vector (column c0) of a plane, added to acc: x row j at its
// three shifts times dy rows j+1, j, j-1 (kernel rows 0, 1, 2).
[[gnu::always_inline]] inline void weight_row(const float* in, __m512 dnext, __m512 dcur, __m512 dprev, const Masks& m,
                                              __m512 (&acc)[9]) {
  const __m512 l = load(m.left, in - 1), c = load(m.mid, in), r = load(m.right, in + 1);
  acc[0] = _mm512_fmadd_ps(dnext, l, acc[0]);
  acc[1] = _mm512_fmadd_ps(dnext, c, acc[1]);
  acc[2] = _mm512_fmadd_ps(dnext, r, acc[2]);
  acc[3] = _mm512_fmadd_ps(dcur, l, acc[3]);
  acc[4] = _mm512_fmadd_ps(dcur, c, acc[4]);
  acc[5] = _mm512_fmadd_ps(dcur, r, acc[5]);
  acc[6] = _mm512_fmadd_ps(dprev, l, acc[6]);
  acc[7] = _mm512_fmadd_ps(dprev, c, acc[7]);
  acc[8] = _mm512_fmadd_ps(dprev, r, acc[8]);
}

// The nine tap sums of one column vector (column c0) of a plane, added to acc: x row j at its
// three shifts times dy rows j+1, j, j-1 (kernel rows 0, 1, 2). Even and odd rows go to two
// sets of sums (two independent chains per tap), added at the end.
[[gnu::always_inline]] inline void weight_column(const float* x, const float* dy, int h, int w, int c0, const Masks& m,
                                                 __m512 (&acc)[9]) {
  const float* in = x + c0;
  const float* d = dy + c0;
  __m512 odd[9];
  for (int t = 0; t < 9; ++t) odd[t] = _mm512_setzero_ps();
  __m512 dprev = _mm512_setzero_ps(), dcur = load(m.mid, d);
  int j = 0;
  for (; j + 2 <= h; j += 2, in += 2 * w) {
    const __m512 d1 = load(m.mid, d + (int64_t)(j + 1) * w);
    const __m512 d2 = load(j + 2 < h ? m.mid : 0, d + (int64_t)(j + 2) * w);
    weight_row(in, d1, dcur, dprev, m, acc);
    weight_row(in + w, d2, d1, dcur, m, odd);
    dprev = d1;
    dcur = d2;
  }
  if (j < h) weight_row(in, _mm512_setzero_ps(), dcur, dprev, m, acc);
  for (int t = 0; t < 9; ++t) acc[t] = _mm512_add_ps(acc[t], odd[t]);
}

}  // namespace

namespace avx512 {

void depthwise3x3_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in, bool flip,
                            bool accumulate) {
  const int64_t plane = (int64_t)h * w_in;
  std::vector<Masks> cols;
  for (int c0 = 0; c0 < w_in; c0 += 16) cols.push_back(column_masks(c0, w_in));
  const int64_t grain = std::max<int64_t>(1, 2048 / plane);
  parallel_for((int64_t)n * c, grain, [&](int64_t begin, int64_t end) {
    __m512 wt[9];
    for (int64_t p = begin; p < end; ++p) {
      const float* wc = w + (p % c) * 9;
      for (int t = 0; t < 9; ++t) wt[t] = _mm512_set1_ps(wc[flip ? 8 - t : t]);
      const float* xp = x + p * plane;
      float* yp = y + p * plane;
      for (size_t v = 0; v < cols.size(); ++v) sweep_column(xp, yp, h, w_in, 16 * (int)v, cols[v], wt, accumulate);
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
  auto add_plane = [&](int64_t p, __m512 (&acc)[9]) __attribute__((always_inline)) {
    for (size_t v = 0; v < cols.size(); ++v)
      weight_column(x + p * plane, dy + p * plane, h, w_in, 16 * (int)v, cols[v], acc);
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
          for (int img = g0; img < g1; ++img) {
            const int64_t p = (int64_t)img * c + ch;
            if (img + 1 < g1) {
              for (int64_t b = 0; b < plane; b += 16) {
                _mm_prefetch((const char*)(x + (p + c) * plane + b), _MM_HINT_T0);
                _mm_prefetch((const char*)(dy + (p + c) * plane + b), _MM_HINT_T0);
              }
            }
            add_plane(p, acc);
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
