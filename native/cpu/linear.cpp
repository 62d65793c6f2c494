// Fully connected layer on CPU: a layer with at most 16 outputs (the classifier) runs its
// forward as dot products along the input; otherwise the three products (forward, dx, dw) share
// one small GEMM kernel, c[r][j] (+)= sum_p a[r][p] * b[p][j], with blocks of 4 rows x 16 columns held in
// registers (8 independent FMA chains). Each output is summed by one thread over p in
// increasing order, so results do not depend on the thread count. The layer's matrices are
// small here (64 x 256 x 10 in the search network), so the transposes that put the reduction
// dimension first go through scratch memory instead of a packed GEMM.
#include <algorithm>

#include "parallel.h"
#include "pvll_linear.h"
#include "scratch.h"
#include "simd.h"
#include "status.h"

namespace {
using namespace pvll::simd;

template <class V>
constexpr int64_t lanes() {
  return sizeof(V) / sizeof(float);
}

/**
 * c[r][j*L + l] (+)= sum_p a[r*lda + p] * b[p*ldb + j*L + l] (+ bias) for R rows, NV vectors of V.
 * The sum runs in blocks of kBlock terms added into a running total: the rounding error then
 * grows like sqrt(k / kBlock) + sqrt(kBlock) rather than sqrt(k) times the partial sums.
 */
template <int R, int NV, class V>
inline void gemm_block(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, float* c, int64_t ldc,
                       const float* bias, bool accumulate) {
  constexpr int64_t L = lanes<V>(), kBlock = 64;
  V total[R][NV];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j) total[r][j] = splat<V>(0.f);
  for (int64_t p0 = 0; p0 < k; p0 += kBlock) {
    const int64_t p1 = std::min(k, p0 + kBlock);
    V s[R][NV];
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < NV; ++j) s[r][j] = splat<V>(0.f);
    for (int64_t p = p0; p < p1; ++p) {
      V bv[NV];
      for (int j = 0; j < NV; ++j) bv[j] = ld<V>(b + p * ldb + j * L);
      for (int r = 0; r < R; ++r) {
        const V av = splat<V>(a[r * lda + p]);
        for (int j = 0; j < NV; ++j) s[r][j] += av * bv[j];
      }
    }
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < NV; ++j) total[r][j] += s[r][j];
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j) {
      V out = total[r][j];
      if (bias) out += ld<V>(bias + j * L);
      if (accumulate) out += ld<V>(c + r * ldc + j * L);
      store(c + r * ldc + j * L, out);
    }
}

/**
 * One block of R rows x NV vectors at column j; a block that runs past cols (possible only when
 * b is readable and zero up to a multiple of 8 columns) goes through a local buffer.
 */
template <int R, int NV>
inline void gemm_cols(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, int64_t cols, int64_t j,
                      float* c, int64_t ldc, const float* bias, bool accumulate) {
  constexpr int64_t W = NV * kLanes;
  if (j + W <= cols) {
    gemm_block<R, NV, f8>(a, lda, b + j, ldb, k, c + j, ldc, bias ? bias + j : nullptr, accumulate);
    return;
  }
  float tmp[R][W];
  gemm_block<R, NV, f8>(a, lda, b + j, ldb, k, &tmp[0][0], W, nullptr, false);
  for (int r = 0; r < R; ++r)
    for (int64_t l = 0; l < cols - j; ++l) {
      float out = tmp[r][l];
      if (bias) out += bias[j + l];
      if (accumulate) out += c[r * ldc + j + l];
      c[r * ldc + j + l] = out;
    }
}

template <int R>
void gemm_rows(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, int64_t cols, bool b_padded,
               float* c, int64_t ldc, const float* bias, bool accumulate) {
  const int64_t vector_cols = b_padded ? (cols + kLanes - 1) / kLanes * kLanes : cols;
  int64_t j = 0;
  for (; j + 16 <= vector_cols; j += 16) gemm_cols<R, 2>(a, lda, b, ldb, k, cols, j, c, ldc, bias, accumulate);
  for (; j + 8 <= vector_cols; j += 8) gemm_cols<R, 1>(a, lda, b, ldb, k, cols, j, c, ldc, bias, accumulate);
  for (; j < cols; ++j)
    gemm_block<R, 1, float>(a, lda, b + j, ldb, k, c + j, ldc, bias ? bias + j : nullptr, accumulate);
}

/**
 * c [rows, cols] (+)= a [rows, k] * b [k, cols] (+ bias [cols]), split by blocks of 4 rows.
 * b_padded: each row of b is readable, and zero, up to the next multiple of 8 columns.
 */
void gemm(const float* a, int64_t lda, const float* b, int64_t ldb, bool b_padded, int64_t rows, int64_t k,
          int64_t cols, float* c, int64_t ldc, const float* bias, bool accumulate) {
  const int64_t blocks = (rows + 3) / 4;
  const int64_t macs_per_block = std::max<int64_t>(1, 4 * k * cols);
  // Chunks of at least ~0.5M multiply-adds (~20 us): less is not worth waking a thread for.
  pvll::parallel_for(blocks, std::max<int64_t>(1, (1 << 19) / macs_per_block), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r = blk * 4, left = std::min<int64_t>(4, rows - r);
      const float* ar = a + r * lda;
      float* cr = c + r * ldc;
      switch (left) {
        case 4: gemm_rows<4>(ar, lda, b, ldb, k, cols, b_padded, cr, ldc, bias, accumulate); break;
        case 3: gemm_rows<3>(ar, lda, b, ldb, k, cols, b_padded, cr, ldc, bias, accumulate); break;
        case 2: gemm_rows<2>(ar, lda, b, ldb, k, cols, b_padded, cr, ldc, bias, accumulate); break;
        default: gemm_rows<1>(ar, lda, b, ldb, k, cols, b_padded, cr, ldc, bias, accumulate); break;
      }
    }
  });
}

/**
 * The transpose of m [rows, cols] in the calling thread's scratch slot, each of its cols rows
 * holding ld >= rows values (zeros after the first rows).
 */
float* transposed(int slot, const float* m, int64_t rows, int64_t cols, int64_t ld) {
  float* t = pvll::thread_scratch<float>(slot, cols * ld);
  for (int64_t col = 0; col < cols; ++col)
    for (int64_t r = rows; r < ld; ++r) t[col * ld + r] = 0.f;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t col = 0; col < cols; ++col) t[col * ld + r] = m[r * cols + col];
  return t;
}

/**
 * y[r][o] = sum_p x[r][p] w[o][p] (+ b[o]) for R rows from r and O outputs from o: dot products
 * along `in` (x and w are both row-major in `in`), 8 lanes per multiply-add, then each lane sum
 * folded and the tail of `in` added in increasing order.
 */
template <int R, int O>
inline void dot_block(const float* x, const float* w, const float* b, float* y, int64_t in, int64_t out, int64_t r,
                      int64_t o) {
  f8 acc[R][O];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < O; ++j) acc[i][j] = splat<f8>(0.f);
  int64_t p = 0;
  for (; p + kLanes <= in; p += kLanes) {
    f8 wv[O];
    for (int j = 0; j < O; ++j) wv[j] = ld<f8>(w + (o + j) * in + p);
    for (int i = 0; i < R; ++i) {
      const f8 xv = ld<f8>(x + (r + i) * in + p);
      for (int j = 0; j < O; ++j) acc[i][j] += xv * wv[j];
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < O; ++j) {
      float s = hsum(acc[i][j]);
      for (int64_t q = p; q < in; ++q) s += x[(r + i) * in + q] * w[(o + j) * in + q];
      y[(r + i) * out + o + j] = b ? s + b[o + j] : s;
    }
}

template <int R>
inline void dot_rows(const float* x, const float* w, const float* b, float* y, int64_t in, int64_t out, int64_t r) {
  int64_t o = 0;
  for (; o + 2 <= out; o += 2) dot_block<R, 2>(x, w, b, y, in, out, r, o);
  if (o < out) dot_block<R, 1>(x, w, b, y, in, out, r, o);
}

/**
 * The forward for a layer with few outputs (the classifier: 10): dot products, no transpose of
 * w and no lanes spent on padding columns (the GEMM path computes 16 columns for 10).
 */
void linear_forward_few_outputs(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t in,
                                int64_t out) {
  const int64_t blocks = (n + 3) / 4;
  pvll::parallel_for(blocks, std::max<int64_t>(1, (1 << 19) / std::max<int64_t>(1, 4 * in * out)),
                     [&](int64_t b0, int64_t b1) {
                       for (int64_t blk = b0; blk < b1; ++blk) {
                         const int64_t r = blk * 4;
                         switch (std::min<int64_t>(4, n - r)) {
                           case 4: dot_rows<4>(x, w, b, y, in, out, r); break;
                           case 3: dot_rows<3>(x, w, b, y, in, out, r); break;
                           case 2: dot_rows<2>(x, w, b, y, in, out, r); break;
                           default: dot_rows<1>(x, w, b, y, in, out, r); break;
                         }
                       }
                     });
}

}  // namespace

PVLL_API int pvll_linear_forward(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t in,
                                 int64_t out) {
  PVLL_REQUIRE(x && w && y && n >= 0 && in > 0 && out > 0,
               "pvll_linear_forward: bad arguments (n=%lld in=%lld out=%lld)", (long long)n, (long long)in,
               (long long)out);
  PVLL_GUARD("pvll_linear_forward", {
    if (out <= 16) {
      linear_forward_few_outputs(x, w, b, y, n, in, out);
    } else {
      const int64_t ld = (out + kLanes - 1) / kLanes * kLanes;
      const float* wt = transposed(0, w, out, in, ld);  // [in, out] padded to ld columns
      gemm(x, in, wt, ld, true, n, in, out, y, out, b, false);
    }
  });
  return PVLL_OK;
}

PVLL_API int pvll_linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                                  int64_t n, int64_t in, int64_t out, int accumulate) {
  PVLL_REQUIRE(x && w && dy && dw && n >= 0 && in > 0 && out > 0,
               "pvll_linear_backward: bad arguments (n=%lld in=%lld out=%lld)", (long long)n, (long long)in,
               (long long)out);
  PVLL_GUARD("pvll_linear_backward", {
    const bool acc = accumulate != 0;
    if (dx) gemm(dy, out, w, in, false, n, out, in, dx, in, nullptr, acc);
    const float* dyt = transposed(1, dy, n, out, n);  // [out, n]
    gemm(dyt, n, x, in, false, out, n, in, dw, in, nullptr, acc);
    if (db) {
      for (int64_t o = 0; o < out; ++o) {
        float s = 0.f;
        for (int64_t r = 0; r < n; ++r) s += dyt[o * n + r];
        db[o] = acc ? db[o] + s : s;
      }
    }
  });
  return PVLL_OK;
}
