#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "scratch.h"
#include "simd.h"

namespace pvll::gemm {
namespace {

// 4 x (8*NV) tile of C from k steps of packed A (4 floats per step) and packed B (24 per step).
template <int NV>
inline void micro_tile(int k, const float* __restrict a, const float* __restrict b, float* c,
                       long ldc, int rows, int cols, bool accumulate, const float* bias) {
  __m256 acc[kMr][NV];
  for (int i = 0; i < kMr; ++i) {
    const __m256 init = (bias && i < rows) ? _mm256_set1_ps(bias[i]) : _mm256_setzero_ps();
    for (int v = 0; v < NV; ++v) acc[i][v] = init;
  }
#pragma GCC unroll 4
  for (int kk = 0; kk < k; ++kk) {
    __m256 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_load_ps(b + kk * kNr + 8 * v);
    for (int i = 0; i < kMr; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + kk * kMr + i);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < NV; ++v)
      simd::store(c + i * ldc + 8 * v, acc[i][v], cols - 8 * v, accumulate);
}

// MI x NJ dot products over k (vectorised along k), added to the 8-lane partials part[i][j].
template <int MI, int NJ>
inline void nt_block(int k, const float* a, long lda, const float* b, long ldb, float* part,
                     int part_ld) {
  __m256 acc[MI][NJ];
  for (int i = 0; i < MI; ++i)
    for (int j = 0; j < NJ; ++j) acc[i][j] = _mm256_load_ps(part + (i * part_ld + j) * 8);
  int kk = 0;
  for (; kk + 8 <= k; kk += 8) {
    __m256 av[MI];
    for (int i = 0; i < MI; ++i) av[i] = _mm256_loadu_ps(a + i * lda + kk);
    for (int j = 0; j < NJ; ++j) {
      const __m256 bv = _mm256_loadu_ps(b + j * ldb + kk);
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  if (kk < k) {
    const int rest = k - kk;
    __m256 av[MI];
    for (int i = 0; i < MI; ++i) av[i] = simd::load(a + i * lda + kk, rest);
    for (int j = 0; j < NJ; ++j) {
      const __m256 bv = simd::load(b + j * ldb + kk, rest);
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  for (int i = 0; i < MI; ++i)
    for (int j = 0; j < NJ; ++j) _mm256_store_ps(part + (i * part_ld + j) * 8, acc[i][j]);
}

template <int MI>
inline void nt_row_block(int nj, int k, const float* a, long lda, const float* b, long ldb,
                         float* part, int part_ld) {
  switch (nj) {
    case 4: nt_block<MI, 4>(k, a, lda, b, ldb, part, part_ld); break;
    case 3: nt_block<MI, 3>(k, a, lda, b, ldb, part, part_ld); break;
    case 2: nt_block<MI, 2>(k, a, lda, b, ldb, part, part_ld); break;
    default: nt_block<MI, 1>(k, a, lda, b, ldb, part, part_ld); break;
  }
}

// k is summed in blocks of this many floats so that the rows of one block stay in L1.
constexpr int kNtBlock = 256;

}  // namespace

void pack_a(const float* a, long rs, long cs, int m, int k, float* out) {
  for (int i0 = 0; i0 < m; i0 += kMr)
    for (int kk = 0; kk < k; ++kk)
      for (int i = 0; i < kMr; ++i)
        *out++ = i0 + i < m ? a[(i0 + i) * rs + kk * cs] : 0.f;
}

void pack_b(const float* b, long ldb, int k, int n, float* out) {
  for (int j0 = 0; j0 < n; j0 += kNr) {
    const int cols = std::min(kNr, n - j0);
    const float* src = b + j0;
    if (cols == kNr) {
      for (int kk = 0; kk < k; ++kk, out += kNr, src += ldb) {
        _mm256_store_ps(out, _mm256_loadu_ps(src));
        _mm256_store_ps(out + 8, _mm256_loadu_ps(src + 8));
        _mm256_store_ps(out + 16, _mm256_loadu_ps(src + 16));
      }
    } else {
      for (int kk = 0; kk < k; ++kk, out += kNr, src += ldb)
        for (int v = 0; v < 3; ++v) {
          const int lanes = cols - 8 * v;
          _mm256_store_ps(out + 8 * v, lanes > 0 ? simd::load(src + 8 * v, lanes) : _mm256_setzero_ps());
        }
    }
  }
}

void multiply_packed(int m, int n, int k, const float* ap, const float* bp, float* c, long ldc,
                     bool accumulate, const float* bias) {
  for (int j0 = 0; j0 < n; j0 += kNr) {
    const int cols = std::min(kNr, n - j0);
    const float* b = bp + (size_t)(j0 / kNr) * kNr * k;
    for (int i0 = 0; i0 < m; i0 += kMr) {
      const int rows = std::min(kMr, m - i0);
      const float* a = ap + (size_t)(i0 / kMr) * kMr * k;
      float* ct = c + i0 * ldc + j0;
      const float* bt = bias ? bias + i0 : nullptr;
      if (cols > 16) micro_tile<3>(k, a, b, ct, ldc, rows, cols, accumulate, bt);
      else if (cols > 8) micro_tile<2>(k, a, b, ct, ldc, rows, cols, accumulate, bt);
      else micro_tile<1>(k, a, b, ct, ldc, rows, cols, accumulate, bt);
    }
  }
}

void multiply_nt_accumulate(int m, int n, int k, const float* a, long lda, const float* b, long ldb,
                            double* c, long ldc) {
  float* part = scratch(3, (size_t)m * n * 8);
  std::memset(part, 0, sizeof(float) * (size_t)m * n * 8);
  for (int k0 = 0; k0 < k; k0 += kNtBlock) {
    const int kc = std::min(kNtBlock, k - k0);
    for (int i0 = 0; i0 < m; i0 += 3) {
      const int mi = std::min(3, m - i0);
      for (int j0 = 0; j0 < n; j0 += 4) {
        const int nj = std::min(4, n - j0);
        const float* ab = a + i0 * lda + k0;
        const float* bb = b + j0 * ldb + k0;
        float* pb = part + ((size_t)i0 * n + j0) * 8;
        if (mi == 3) nt_row_block<3>(nj, kc, ab, lda, bb, ldb, pb, n);
        else if (mi == 2) nt_row_block<2>(nj, kc, ab, lda, bb, ldb, pb, n);
        else nt_row_block<1>(nj, kc, ab, lda, bb, ldb, pb, n);
      }
    }
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      c[i * ldc + j] += simd::hsum(_mm256_load_ps(part + ((size_t)i * n + j) * 8));
}

}  // namespace pvll::gemm
