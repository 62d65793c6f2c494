// Small AVX2 intrinsics helpers shared by the conv kernels (8 floats per vector). The layer
// kernels use the portable vector extensions of simd.h instead.
#pragma once
#include <immintrin.h>

#include <cstdint>

/** Fully unrolls a loop over register-tile indices, so that its vectors stay in registers. */
#define PVLL_UNROLL _Pragma("GCC unroll 16")

namespace pvll::avx2 {

/** Mask whose first n lanes (0..8) are set. */
inline __m256i first_lanes(int n) {
  alignas(32) static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n));
}

/** Sum of the 8 lanes, always in the same order. */
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/** Stores the first n (< 8) lanes of v to p in 4-, 2- and 1-float pieces, instead of a
 *  vmaskmovps store (faster on Zen 4 for the depthwise 3x3 row tails; not for the 5x5 blocks). */
inline void store_first(float* p, __m256 v, int n) {
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, part);
    p += 4;
    n -= 4;
    part = _mm256_extractf128_ps(v, 1);
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
    p += 2;
    n -= 2;
    part = _mm_movehl_ps(part, part);
  }
  if (n >= 1) _mm_store_ss(p, part);
}

/** Stores v to p (first n lanes when n < 8), adding p's contents when accumulate. */
inline void store(float* p, __m256 v, int n, bool accumulate) {
  if (n >= 8) {
    if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(p));
    _mm256_storeu_ps(p, v);
  } else {
    const __m256i m = first_lanes(n);
    if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(p, m));
    _mm256_maskstore_ps(p, m, v);
  }
}

/** Like store, but writes all 8 lanes: lanes from n on get back what p holds. Only for memory
 *  that is readable and that no other thread writes meanwhile (vmaskmovps stores are slow). */
inline void store_blend(float* p, __m256 v, int n, bool accumulate) {
  const __m256 old = _mm256_loadu_ps(p);
  if (accumulate) v = _mm256_add_ps(v, old);
  if (n < 8) v = _mm256_blendv_ps(old, v, _mm256_castsi256_ps(first_lanes(n)));
  _mm256_storeu_ps(p, v);
}

/** Transposes the 8 x 8 block r[row][lane] in place: r[t] becomes lane t of r[0..7]. */
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

/** Loads n lanes (n < 8 reads only those; the rest are zero). */
inline __m256 load(const float* p, int n) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, first_lanes(n));
}

}  // namespace pvll::avx2
