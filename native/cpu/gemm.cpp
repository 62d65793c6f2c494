#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "scratch.h"
#include "avx2.h"

namespace pvll::gemm {
namespace {

// The rows of A a micro-tile reads: packed (4 floats per k step, rows interleaved) or
// row-major (4 row pointers; rows past `rows` repeat the last one, whose results are not kept).
struct PackedRows {
  const float* a;
  PackedRows(const float* ap, long, int) : a(ap) {}
  const float* row(int i, int kk) const { return a + kk * kMr + i; }
};
struct RowMajorRows {
  const float* r[kMr];
  RowMajorRows(const float* a, long lda, int rows) {
    for (int i = 0; i < kMr; ++i) r[i] = a + std::min(i, rows - 1) * lda;
  }
  const float* row(int i, int kk) const { return r[i] + kk; }
};

// 4 x (8*NV) tile of C from k steps of A (4 rows, see above) and packed B (24 floats per step).
// Named accumulators, not an array: GCC keeps arrays of vectors on the stack here.
template <int NV, class Rows>
inline void micro_tile(int k, Rows a, const float* __restrict b, float* c, long ldc, int rows, int cols,
                       bool accumulate, const float* bias) {
  const __m256 z = _mm256_setzero_ps();
  __m256 i0 = bias ? _mm256_set1_ps(bias[0]) : z;
  __m256 i1 = bias && rows > 1 ? _mm256_set1_ps(bias[1]) : z;
  __m256 i2 = bias && rows > 2 ? _mm256_set1_ps(bias[2]) : z;
  __m256 i3 = bias && rows > 3 ? _mm256_set1_ps(bias[3]) : z;
  __m256 c00 = i0, c01 = i0, c02 = i0, c10 = i1, c11 = i1, c12 = i1;
  __m256 c20 = i2, c21 = i2, c22 = i2, c30 = i3, c31 = i3, c32 = i3;
#pragma GCC unroll 4
  for (int kk = 0; kk < k; ++kk, b += kNr) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = NV > 1 ? _mm256_load_ps(b + 8) : z;
    const __m256 b2 = NV > 2 ? _mm256_load_ps(b + 16) : z;
    __m256 av = _mm256_broadcast_ss(a.row(0, kk));
    c00 = _mm256_fmadd_ps(av, b0, c00);
    if constexpr (NV > 1) c01 = _mm256_fmadd_ps(av, b1, c01);
    if constexpr (NV > 2) c02 = _mm256_fmadd_ps(av, b2, c02);
    av = _mm256_broadcast_ss(a.row(1, kk));
    c10 = _mm256_fmadd_ps(av, b0, c10);
    if constexpr (NV > 1) c11 = _mm256_fmadd_ps(av, b1, c11);
    if constexpr (NV > 2) c12 = _mm256_fmadd_ps(av, b2, c12);
    av = _mm256_broadcast_ss(a.row(2, kk));
    c20 = _mm256_fmadd_ps(av, b0, c20);
    if constexpr (NV > 1) c21 = _mm256_fmadd_ps(av, b1, c21);
    if constexpr (NV > 2) c22 = _mm256_fmadd_ps(av, b2, c22);
    av = _mm256_broadcast_ss(a.row(3, kk));
    c30 = _mm256_fmadd_ps(av, b0, c30);
    if constexpr (NV > 1) c31 = _mm256_fmadd_ps(av, b1, c31);
    if constexpr (NV > 2) c32 = _mm256_fmadd_ps(av, b2, c32);
  }
  if (rows == kMr && cols == 8 * NV && !accumulate) {  // the common whole tile: plain stores, no
    // per-vector tail or accumulate tests
    auto put = [&](float* row, __m256 v0, __m256 v1, __m256 v2) {
      _mm256_storeu_ps(row, v0);
      if constexpr (NV > 1) _mm256_storeu_ps(row + 8, v1);
      if constexpr (NV > 2) _mm256_storeu_ps(row + 16, v2);
    };
    put(c, c00, c01, c02);
    put(c + ldc, c10, c11, c12);
    put(c + 2 * ldc, c20, c21, c22);
    put(c + 3 * ldc, c30, c31, c32);
    return;
  }
  auto store_row = [&](float* row, __m256 v0, __m256 v1, __m256 v2) {
    avx2::store(row, v0, cols, accumulate);
    if constexpr (NV > 1) avx2::store(row + 8, v1, cols - 8, accumulate);
    if constexpr (NV > 2) avx2::store(row + 16, v2, cols - 16, accumulate);
  };
  store_row(c, c00, c01, c02);
  if (rows > 1) store_row(c + ldc, c10, c11, c12);
  if (rows > 2) store_row(c + 2 * ldc, c20, c21, c22);
  if (rows > 3) store_row(c + 3 * ldc, c30, c31, c32);
}

// MI x NJ dot products over k (vectorised along k), added to the 8-lane partials part[i][j].
template <int MI, int NJ>
inline void nt_block(int k, const float* a, long lda, const float* b, long ldb, float* part,
                     int part_ld) {
  __m256 acc[MI][NJ];
  PVLL_UNROLL for (int i = 0; i < MI; ++i)
    PVLL_UNROLL for (int j = 0; j < NJ; ++j) acc[i][j] = _mm256_load_ps(part + (i * part_ld + j) * 8);
  int kk = 0;
  for (; kk + 8 <= k; kk += 8) {
    __m256 av[MI];
    PVLL_UNROLL for (int i = 0; i < MI; ++i) av[i] = _mm256_loadu_ps(a + i * lda + kk);
    PVLL_UNROLL for (int j = 0; j < NJ; ++j) {
      const __m256 bv = _mm256_loadu_ps(b + j * ldb + kk);
      PVLL_UNROLL for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  if (kk < k) {
    const int rest = k - kk;
    __m256 av[MI];
    PVLL_UNROLL for (int i = 0; i < MI; ++i) av[i] = avx2::load(a + i * lda + kk, rest);
    PVLL_UNROLL for (int j = 0; j < NJ; ++j) {
      const __m256 bv = avx2::load(b + j * ldb + kk, rest);
      PVLL_UNROLL for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  PVLL_UNROLL for (int i = 0; i < MI; ++i)
    PVLL_UNROLL for (int j = 0; j < NJ; ++j) _mm256_store_ps(part + (i * part_ld + j) * 8, acc[i][j]);
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
          _mm256_store_ps(out + 8 * v, lanes > 0 ? avx2::load(src + 8 * v, lanes) : _mm256_setzero_ps());
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
      const PackedRows ar(a, 0, rows);
      if (cols > 16) micro_tile<3>(k, ar, b, ct, ldc, rows, cols, accumulate, bt);
      else if (cols > 8) micro_tile<2>(k, ar, b, ct, ldc, rows, cols, accumulate, bt);
      else micro_tile<1>(k, ar, b, ct, ldc, rows, cols, accumulate, bt);
    }
  }
}

void tile_rowmajor_a(int rows, int cols, int k, const float* a, long lda, const float* bp, const float* bias,
                     float* out) {
  const RowMajorRows ar(a, lda, rows);
  if (cols > 16) micro_tile<3>(k, ar, bp, out, kNr, rows, kNr, false, bias);
  else if (cols > 8) micro_tile<2>(k, ar, bp, out, kNr, rows, 16, false, bias);
  else micro_tile<1>(k, ar, bp, out, kNr, rows, 8, false, bias);
}

void pack_b_transposed(const float* b, long ldb, int k, int n, float* out) {
  for (int j0 = 0; j0 < n; j0 += kNr) {
    const int cols = std::min(kNr, n - j0);
    int kk = 0;
    if (cols == kNr)  // 8 x 8 blocks through registers
      for (; kk + 8 <= k; kk += 8, out += 8 * kNr)
        for (int g = 0; g < kNr; g += 8) {
          __m256 r[8];
          for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(b + (j0 + g + j) * ldb + kk);
          avx2::transpose8(r);
          for (int t = 0; t < 8; ++t) _mm256_store_ps(out + t * kNr + g, r[t]);
        }
    for (; kk < k; ++kk, out += kNr) {
      int j = 0;
      for (; j < cols; ++j) out[j] = b[(j0 + j) * ldb + kk];
      for (; j < kNr; ++j) out[j] = 0.f;
    }
  }
}

NtAccumulator::NtAccumulator(int m, int n) : m_(m), n_(n), part_(scratch(3, (size_t)m * n * 8)) {
  std::memset(part_, 0, sizeof(float) * (size_t)m * n * 8);
}

void NtAccumulator::add(int k, const float* a, long lda, const float* b, long ldb) {
  const int m = m_, n = n_;
  for (int k0 = 0; k0 < k; k0 += kNtBlock) {
    const int kc = std::min(kNtBlock, k - k0);
    for (int i0 = 0; i0 < m; i0 += 3) {
      const int mi = std::min(3, m - i0);
      for (int j0 = 0; j0 < n; j0 += 4) {
        const int nj = std::min(4, n - j0);
        const float* ab = a + i0 * lda + k0;
        const float* bb = b + j0 * ldb + k0;
        float* pb = part_ + ((size_t)i0 * n + j0) * 8;
        if (mi == 3) nt_row_block<3>(nj, kc, ab, lda, bb, ldb, pb, n);
        else if (mi == 2) nt_row_block<2>(nj, kc, ab, lda, bb, ldb, pb, n);
        else nt_row_block<1>(nj, kc, ab, lda, bb, ldb, pb, n);
      }
    }
  }
}

void NtAccumulator::flush(double* c, long ldc) {
  for (int i = 0; i < m_; ++i)
    for (int j = 0; j < n_; ++j) {
      float* p = part_ + ((size_t)i * n_ + j) * 8;
      c[i * ldc + j] += avx2::hsum(_mm256_load_ps(p));
      _mm256_store_ps(p, _mm256_setzero_ps());
    }
}

}  // namespace pvll::gemm
