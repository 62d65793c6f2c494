// Internal to the depthwise kernels (depthwise.cpp): register-blocked correlation of output
// rows with a tap list (any kernel, stride, dilation), the stride-1 row-reuse kernels for 5x5,
// and the weight-gradient dot products.
#pragma once
#include "depthwise_plane.h"

namespace pvll::depthwise {

// ---------------------------------------------------------------- correlation of row lists

// Output rows to compute, each with its input row (in the padded buffer) and output row:
// out[c] (+)= sum_t w_t * in[off_t + c] for c < cols. Rows of several planes that share their
// weights go in one list, so that register blocks span plane boundaries (short planes).
struct RowList {
  static constexpr int kCapacity = 64;
  int count = 0;
  const float* in_row[kCapacity];
  float* out_row[kCapacity];
  // floats of the same plane after the row's end (later rows): a whole-vector tail store may
  // overrun the row only into them, never into another plane or past the tensor
  int64_t room[kCapacity];

  // the addressing interface of corr_block, for the rows from `first` on
  struct View {
    const RowList* list;
    int first;
    const float* in(int r) const { return list->in_row[first + r]; }
    float* out(int r) const { return list->out_row[first + r]; }
    int64_t room_after(int r) const { return list->room[first + r]; }
  };
};

// The rows of one plane: input row r at in + r*in_step, output row r at out + r*out_step.
struct PlaneRows {
  const float* in_base;
  int64_t in_step;
  float* out_base;
  int64_t out_step;
  int rows;
  struct View {
    const PlaneRows* plane;
    int first;
    const float* in(int r) const { return plane->in_base + (first + r) * plane->in_step; }
    float* out(int r) const { return plane->out_base + (first + r) * plane->out_step; }
    int64_t room_after(int r) const { return (int64_t)(plane->rows - 1 - (first + r)) * plane->out_step; }
  };
  int count() const { return rows; }
};

template <int R, int NV, class Rows>
inline void store_block(const Rows& rows, __m256 (&acc)[R][NV], int v0, int last, bool accumulate);

// R rows x NV vectors of output; the last vector of a row holds `last` valid lanes. It is stored
// whole, blending back what it overlaps (the next rows of the same plane, written by this thread
// later or earlier), except where the plane has fewer than 8 - last floats after the row (its
// last row, or its last rows when rows are shorter than 8): those use a masked store.
template <int R, int NV, class Rows>
inline void corr_block(const Rows& rows, const Taps& taps, int v0, int last, bool accumulate) {
  const float* in[R];
  PVLL_UNROLL for (int r = 0; r < R; ++r) in[r] = rows.in(r) + 8 * v0;
  __m256 acc[R][NV];
  PVLL_UNROLL for (int r = 0; r < R; ++r)
    PVLL_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int t = 0; t < taps.count; ++t) {
    const __m256 wv = _mm256_broadcast_ss(taps.weight + t);
    const int off = taps.offset[t];
    PVLL_UNROLL for (int r = 0; r < R; ++r)
      PVLL_UNROLL for (int v = 0; v < NV; ++v)
        acc[r][v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(in[r] + off + 8 * v), acc[r][v]);
  }
  store_block<R, NV>(rows, acc, v0, last, accumulate);
}

// Stores an R x NV block of output. Every load before the first store: a load of bytes that a
// just-issued store partly covers (the overlapping tails) cannot be forwarded and stalls.
template <int R, int NV, class Rows>
inline void store_block(const Rows& rows, __m256 (&acc)[R][NV], int v0, int last, bool accumulate) {
  const __m256 keep = _mm256_castsi256_ps(avx2::first_lanes(last));
  bool masked[R];
  PVLL_UNROLL for (int r = 0; r < R; ++r) masked[r] = last < 8 && rows.room_after(r) < 8 - last;
  PVLL_UNROLL for (int r = 0; r < R; ++r) {
    if (masked[r]) continue;
    PVLL_UNROLL for (int v = 0; v < NV; ++v) {
      const float* p = rows.out(r) + 8 * (v0 + v);
      if (v < NV - 1) {
        if (accumulate) acc[r][v] = _mm256_add_ps(acc[r][v], _mm256_loadu_ps(p));
      } else if (accumulate || last < 8) {
        const __m256 old = _mm256_loadu_ps(p);
        const __m256 sum = accumulate ? _mm256_add_ps(acc[r][v], old) : acc[r][v];
        acc[r][v] = last < 8 ? _mm256_blendv_ps(old, sum, keep) : sum;
      }
    }
  }
  PVLL_UNROLL for (int r = 0; r < R; ++r) {
    float* p = rows.out(r) + 8 * v0;
    if (masked[r]) {
      PVLL_UNROLL for (int v = 0; v < NV; ++v)
        avx2::store(p + 8 * v, acc[r][v], v == NV - 1 ? last : 8, accumulate);
    } else {
      PVLL_UNROLL for (int v = 0; v < NV; ++v) _mm256_storeu_ps(p + 8 * v, acc[r][v]);
    }
  }
}

// The last rows as one block of `rows` (< the full block) rows, so that short planes keep
// several independent accumulator chains in flight.
template <int NV, class View, int R = 1>
inline void corr_tail(const View& view, int rows, const Taps& taps, int v0, int last, bool accumulate) {
  if constexpr (R < 8) {
    if (rows == R) return corr_block<R, NV>(view, taps, v0, last, accumulate);
    corr_tail<NV, View, R + 1>(view, rows, taps, v0, last, accumulate);
  }
}

template <int NV, class Rows>
void corr_rows(const Rows& rows, int count, const Taps& taps, int v0, int last, bool accumulate) {
  constexpr int kRows = NV == 1 ? 8 : NV == 2 ? 4 : 2;  // R x NV accumulators <= 8
  using View = typename Rows::View;
  int r = 0;
  for (; r + kRows <= count; r += kRows) corr_block<kRows, NV>(View{&rows, r}, taps, v0, last, accumulate);
  if (r < count) corr_tail<NV>(View{&rows, r}, count - r, taps, v0, last, accumulate);
}

// Computes `count` rows over cols output columns.
template <class Rows>
void correlate_rows(const Rows& rows, int count, const Taps& taps, int cols, bool accumulate) {
  const int nvec = (cols + 7) / 8;
  for (int v0 = 0; v0 < nvec; v0 += 4) {
    const int nv = std::min(4, nvec - v0);
    const int last = v0 + nv == nvec ? cols - 8 * (nvec - 1) : 8;
    switch (nv) {
      case 1: corr_rows<1>(rows, count, taps, v0, last, accumulate); break;
      case 2: corr_rows<2>(rows, count, taps, v0, last, accumulate); break;
      case 3: corr_rows<3>(rows, count, taps, v0, last, accumulate); break;
      default: corr_rows<4>(rows, count, taps, v0, last, accumulate); break;
    }
  }
}

// Computes every row of the list, then empties it.
inline void correlate(RowList& list, const Taps& taps, int cols, bool accumulate) {
  correlate_rows(list, list.count, taps, cols, accumulate);
  list.count = 0;
}

// Computes one plane's rows.
inline void correlate(const PlaneRows& plane, const Taps& taps, int cols, bool accumulate) {
  correlate_rows(plane, plane.rows, taps, cols, accumulate);
}

// ---------------------------------------------------------------- stride 1, row reuse

// Stride 1, K x K taps at dilation D, an R-row x 8-column output block, one kernel column at a
// time: that column's K weights stay in registers and each input row is loaded once and added
// into the (up to K) output rows it reaches. Loads per FMA: (R + (K-1)D + K) / (R K), 0.43 for
// 5x5 against 1.1 for corr_block, which loads the input once per tap.
template <int K, int D, int R>
inline void reuse_block(const PlaneRows& plane, int first_row, const int* column_offset, const float* weight,
                        int v0, int last, bool accumulate) {
  const float* in = plane.in_base + first_row * plane.in_step + 8 * v0;
  const int64_t step = plane.in_step;
  __m256 acc[R][1];
  PVLL_UNROLL for (int r = 0; r < R; ++r) acc[r][0] = _mm256_setzero_ps();
  for (int kx = 0; kx < K; ++kx) {
    __m256 wk[K];
    PVLL_UNROLL for (int ky = 0; ky < K; ++ky) wk[ky] = _mm256_broadcast_ss(weight + ky * K + kx);
    const float* p = in + column_offset[kx];
    PVLL_UNROLL for (int i = 0; i < R + (K - 1) * D; ++i) {
      const __m256 xv = _mm256_loadu_ps(p + i * step);
      PVLL_UNROLL for (int ky = 0; ky < K; ++ky) {
        const int r = i - ky * D;
        if (r >= 0 && r < R) acc[r][0] = _mm256_fmadd_ps(wk[ky], xv, acc[r][0]);
      }
    }
  }
  store_block<R, 1>(PlaneRows::View{&plane, first_row}, acc, v0, last, accumulate);
}

template <int K, int D, int R = 1>
inline void reuse_tail(const PlaneRows& plane, int first_row, int rows, const int* column_offset,
                       const float* weight, int v0, int last, bool accumulate) {
  if constexpr (R < 8) {
    if (rows == R) return reuse_block<K, D, R>(plane, first_row, column_offset, weight, v0, last, accumulate);
    reuse_tail<K, D, R + 1>(plane, first_row, rows, column_offset, weight, v0, last, accumulate);
  }
}

// One plane at stride 1: column vectors outer (so that a row's tail vector overlaps a next row
// already written), blocks of 8 rows inner. weight: K*K, in tap order ky*K + kx.
template <int K, int D>
void reuse_plane(const PlaneRows& plane, const int* column_offset, const float* weight, int cols, bool accumulate) {
  const int nvec = (cols + 7) / 8;
  for (int v = 0; v < nvec; ++v) {
    const int last = v == nvec - 1 ? cols - 8 * v : 8;
    int r = 0;
    for (; r + 8 <= plane.rows; r += 8) reuse_block<K, D, 8>(plane, r, column_offset, weight, v, last, accumulate);
    if (r < plane.rows) reuse_tail<K, D>(plane, r, plane.rows - r, column_offset, weight, v, last, accumulate);
  }
}

/** Whether reuse_plane has an instance for this kernel (stride 1 only). */
inline bool has_reuse_kernel(int k, int d) { return k == 5 && (d == 1 || d == 2); }

inline void correlate_reuse(const PlaneRows& plane, int k, int d, const int* column_offset, const float* weight, int cols,
                     bool accumulate) {
  if (d == 1) reuse_plane<5, 1>(plane, column_offset, weight, cols, accumulate);
  else reuse_plane<5, 2>(plane, column_offset, weight, cols, accumulate);
}

// Adds the rows of one plane to the list, computing the list whenever it is full.
inline void add_plane(RowList& list, const PlaneRows& plane, const Taps& taps, int cols, bool accumulate) {
  for (int r = 0; r < plane.rows; ++r) {
    if (list.count == RowList::kCapacity) correlate(list, taps, cols, accumulate);
    list.in_row[list.count] = plane.in_base + r * plane.in_step;
    list.out_row[list.count] = plane.out_base + r * plane.out_step;
    list.room[list.count] = (int64_t)(plane.rows - 1 - r) * plane.out_step;
    ++list.count;
  }
}

// ---------------------------------------------------------------- weight gradient

// NT taps' dot products of one dy plane with the shifted input, added to 8-lane partials.
template <int NT>
void weight_taps(const float* in, int64_t in_step, const int* off, const float* dy, int oh, int ow,
                 float* part) {
  __m256 acc[NT];
  PVLL_UNROLL for (int t = 0; t < NT; ++t) acc[t] = _mm256_load_ps(part + 8 * t);
  const int nvec = (ow + 7) / 8, last = ow - 8 * (nvec - 1);
  for (int oy = 0; oy < oh; ++oy) {
    const float* drow = dy + (int64_t)oy * ow;
    const float* xrow = in + oy * in_step;
    for (int v = 0; v < nvec; ++v) {
      const __m256 dv = avx2::load(drow + 8 * v, v == nvec - 1 ? last : 8);
      PVLL_UNROLL for (int t = 0; t < NT; ++t)
        acc[t] = _mm256_fmadd_ps(dv, _mm256_loadu_ps(xrow + off[t] + 8 * v), acc[t]);
    }
  }
  PVLL_UNROLL for (int t = 0; t < NT; ++t) _mm256_store_ps(part + 8 * t, acc[t]);
}

inline void weight_tap_group(int nt, const float* in, int64_t in_step, const int* off, const float* dy,
                      int oh, int ow, float* part) {
  switch (nt) {
    case 9: weight_taps<9>(in, in_step, off, dy, oh, ow, part); break;
    case 8: weight_taps<8>(in, in_step, off, dy, oh, ow, part); break;
    case 7: weight_taps<7>(in, in_step, off, dy, oh, ow, part); break;
    case 6: weight_taps<6>(in, in_step, off, dy, oh, ow, part); break;
    case 5: weight_taps<5>(in, in_step, off, dy, oh, ow, part); break;
    case 4: weight_taps<4>(in, in_step, off, dy, oh, ow, part); break;
    case 3: weight_taps<3>(in, in_step, off, dy, oh, ow, part); break;
    case 2: weight_taps<2>(in, in_step, off, dy, oh, ow, part); break;
    default: weight_taps<1>(in, in_step, off, dy, oh, ow, part); break;
  }
}

// Stride 1 weight gradient with row reuse: R dy rows of one column vector stay in registers;
// for each kernel column kx, each input row is loaded once and multiplied into the (up to K)
// tap partials (ky, kx) it meets: part[(ky*K + kx)*8 + lane] += dy[r] * x[r + ky*D][.. + kx*D].
template <int K, int D, int R>
inline void reuse_weight_block(const float* in, int64_t step, const int* column_offset, const float* dy,
                               int64_t dy_step, int lanes, float* part) {
  __m256 d[R];
  PVLL_UNROLL for (int r = 0; r < R; ++r) d[r] = avx2::load(dy + r * dy_step, lanes);
  for (int kx = 0; kx < K; ++kx) {
    __m256 acc[K];
    PVLL_UNROLL for (int ky = 0; ky < K; ++ky) acc[ky] = _mm256_load_ps(part + (ky * K + kx) * 8);
    const float* p = in + column_offset[kx];
    PVLL_UNROLL for (int i = 0; i < R + (K - 1) * D; ++i) {
      const __m256 xv = _mm256_loadu_ps(p + i * step);
      PVLL_UNROLL for (int ky = 0; ky < K; ++ky) {
        const int r = i - ky * D;
        if (r >= 0 && r < R) acc[ky] = _mm256_fmadd_ps(d[r], xv, acc[ky]);
      }
    }
    PVLL_UNROLL for (int ky = 0; ky < K; ++ky) _mm256_store_ps(part + (ky * K + kx) * 8, acc[ky]);
  }
}

template <int K, int D, int R = 1>
inline void reuse_weight_tail(int rows, const float* in, int64_t step, const int* column_offset, const float* dy,
                              int64_t dy_step, int lanes, float* part) {
  if constexpr (R < 8) {
    if (rows == R) return reuse_weight_block<K, D, R>(in, step, column_offset, dy, dy_step, lanes, part);
    reuse_weight_tail<K, D, R + 1>(rows, in, step, column_offset, dy, dy_step, lanes, part);
  }
}

template <int K, int D>
void reuse_weight_plane(const float* buf, int64_t step, const int* column_offset, const float* dy, int oh, int ow,
                        float* part) {
  const int nvec = (ow + 7) / 8;
  for (int v = 0; v < nvec; ++v) {
    const int lanes = v == nvec - 1 ? ow - 8 * v : 8;
    int r = 0;
    for (; r + 8 <= oh; r += 8)
      reuse_weight_block<K, D, 8>(buf + r * step + 8 * v, step, column_offset, dy + (int64_t)r * ow + 8 * v, ow,
                                  lanes, part);
    if (r < oh)
      reuse_weight_tail<K, D>(oh - r, buf + r * step + 8 * v, step, column_offset, dy + (int64_t)r * ow + 8 * v, ow,
                              lanes, part);
  }
}

}  // namespace pvll::depthwise
