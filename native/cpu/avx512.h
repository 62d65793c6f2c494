// Small AVX-512 helpers (16 floats per vector) for the kernels' AVX-512 versions. Every function
// here is compiled for AVX-512 F/BW/VL/DQ (the pragma below, as the files that include this do
// around their own code) and may run only where use_avx512() (cpu_features.h) is true.
#pragma once
#include <immintrin.h>

#include <cstdint>

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

namespace pvll::avx512 {

/** Lanes [lo, hi) of 16 set (bounds clamped to 0..16). */
inline __mmask16 lane_range(int lo, int hi) {
  const int a = lo < 0 ? 0 : lo, b = hi > 16 ? 16 : hi;
  return b <= a ? 0 : (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1));
}

/** The lanes of k loaded from p, the others zero; masked-off lanes touch no memory. */
inline __m512 load(__mmask16 k, const float* p) { return _mm512_maskz_loadu_ps(k, p); }

/** Stores the lanes of k (adding what p holds when accumulate). */
inline void store(float* p, __mmask16 k, __m512 v, bool accumulate) {
  if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, p));
  if (k == 0xFFFF) _mm512_storeu_ps(p, v);
  else _mm512_mask_storeu_ps(p, k, v);
}

/** Sum of the 16 lanes, always in the same order. */
inline float hsum(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/** A row of one plane or (kPair) of two: a pair holds plane a's row in lanes 0-7 and plane b's in
 *  lanes 8-15 (rows of at most 8 columns; two planes of one channel share their weights), so
 *  that 8x8 and 7x7 planes fill the vector. Offsets count from the rows' starts; masks are those
 *  of plane a's lanes (lanes 0-7). */
template <bool kPair>
struct Rows {
  const float *a, *b;  // input rows (b: only kPair)
  float *ya, *yb;      // output rows
  // (the halves as 8-lane loads and stores: a 16-lane one at b - 8 would span the 32 bytes
  // before plane b's row too, often a second cache line)
  __m512 load(__mmask16 k, int64_t off) const {
    if constexpr (kPair) {
      const __m256 lo = _mm256_maskz_loadu_ps((__mmask8)k, a + off), hi = _mm256_maskz_loadu_ps((__mmask8)k, b + off);
      return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
    return pvll::avx512::load(k, a + off);
  }
  void store(int64_t off, __mmask16 k, __m512 v, bool accumulate) const {
    if constexpr (kPair) {
      __m256 lo = _mm512_castps512_ps256(v), hi = _mm512_extractf32x8_ps(v, 1);
      if (accumulate) {
        lo = _mm256_add_ps(lo, _mm256_maskz_loadu_ps((__mmask8)k, ya + off));
        hi = _mm256_add_ps(hi, _mm256_maskz_loadu_ps((__mmask8)k, yb + off));
      }
      _mm256_mask_storeu_ps(ya + off, (__mmask8)k, lo);
      _mm256_mask_storeu_ps(yb + off, (__mmask8)k, hi);
    } else {
      pvll::avx512::store(ya + off, k, v, accumulate);
    }
  }
};

}  // namespace pvll::avx512

#pragma GCC pop_options
