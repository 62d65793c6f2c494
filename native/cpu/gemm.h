// The matrix products behind the convolutions (AVX2 + FMA).
//
// multiply_packed: C = [C +] bias + A * B with a 4x24 register tile (12 accumulators, 3 loads
// of B and 4 broadcasts of A per 12 FMAs). A and B are first packed into panels that the
// micro-kernel streams contiguously: A in 4-row panels (k-major), B in 24-column panels. This is
// the forward and input-gradient product of every conv ([cout x cin*kh*kw] x [.. x pixels]).
//
// NtAccumulator: C += A * B^T where both operands have their long k dimension contiguous (the
// weight gradient dy [cout x pixels] * x^T [pixels x cin]): 3x4 blocks of dot products
// vectorised along k, summed in fixed k-blocks, so the result never depends on threads.
#pragma once
#include <cstddef>

namespace pvll::gemm {

constexpr int kMr = 4;   // rows of the register tile
constexpr int kNr = 24;  // columns of the register tile

inline size_t packed_a_size(int m, int k) { return (size_t)((m + kMr - 1) / kMr) * kMr * k; }
inline size_t packed_b_size(int k, int n) { return (size_t)((n + kNr - 1) / kNr) * kNr * k; }

/** Packs m x k matrix A, element (i, kk) at a[i*rs + kk*cs], into 4-row panels (zero padded). */
void pack_a(const float* a, long rs, long cs, int m, int k, float* out);

/** Packs row-major k x n matrix B (row stride ldb) into 24-column panels (zero padded).
 *  out must be 32-byte aligned. */
void pack_b(const float* b, long ldb, int k, int n, float* out);

/** C[m x n] (row stride ldc) = (accumulate ? C : 0) + bias[i] + A * B, A and B packed. bias may
 *  be null. */
void multiply_packed(int m, int n, int k, const float* ap, const float* bp, float* c, long ldc,
                     bool accumulate, const float* bias);

/** One register tile with A row-major (no packing): out[i*kNr + j] = bias[i] + sum over kk of
 *  a[i*lda + kk] * B[kk][j] for i < rows (<= 4), j < cols (<= 24), bp one packed 24-column panel
 *  of B. out holds 4 x 24 floats, 32-byte aligned; lanes past cols hold garbage. bias may be null. */
void tile_rowmajor_a(int rows, int cols, int k, const float* a, long lda, const float* bp, const float* bias,
                     float* out);

/** Packs the k x n matrix B^T, where B (n x k) is row-major with row stride ldb, like pack_b. */
void pack_b_transposed(const float* b, long ldb, int k, int n, float* out);

/**
 * Running sums of A * B^T (A m x k, B n x k, both with k contiguous) over several calls, e.g.
 * one per image: 8-lane float partials in this thread's scratch (slot 3), added to a double
 * matrix by flush. The order of every sum depends only on the calls, never on threads.
 */
class NtAccumulator {
 public:
  NtAccumulator(int m, int n);
  /** partials += A * B^T, a[i*lda + kk], b[j*ldb + kk]. */
  void add(int k, const float* a, long lda, const float* b, long ldb);
  /** c[i*ldc + j] += the partial sums, then the partials restart from zero. */
  void flush(double* c, long ldc);

 private:
  int m_, n_;
  float* part_;
};

}  // namespace pvll::gemm
