// Depthwise convolution (groups = channels, "same" padding pad = dilation*(k-1)/2), direct.
//
// Each (image, channel) plane is first copied into a zero-padded scratch plane whose columns
// are split by phase (column mod stride), so that every tap of a strided or dilated window
// reads contiguous memory:  buf[r*pitch + ph*half + lead + j] = plane[r - pad_top][stride*j + ph].
// A tap (ky, kx) is then one offset into that buffer, and an output row block is
//   acc[R rows][NV vectors] += w[tap] * buf[row*row_step + offset[tap] + 8*v]   for every tap,
// R x NV <= 8 accumulators in registers, 8 output columns per vector (AVX2 + FMA).
//
//   forward                taps (ky, kx) on the padded input, output rows step `stride` rows.
//   input grad, stride 1   the same with the kernel flipped, on the padded output gradient.
//   input grad, stride 2   input positions of one row parity and one column parity (4 phases)
//                          each see a fixed subset of taps at contiguous offsets in the padded
//                          output gradient; the two column phases are interleaved afterwards.
//   weight grad            per tap a dot product of dy with the shifted input, per channel over
//                          all images in order (deterministic), 8-lane partials flushed to double.
// Planes are independent, so forward and input grad split planes over threads freely.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_shape.h"
#include "depthwise3x3.h"
#include "parallel.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "simd.h"
#include "status.h"

namespace pvll {
namespace {

int round8(int v) { return (v + 7) / 8 * 8; }

// Geometry of one padded, phase-split scratch plane: source column stride*j + ph of source row
// r - pad_top sits at buf[r*pitch + ph*half + lead + j]; everything else is zero. Padding is in
// the tap offsets (column_offset), so every source row is copied whole, 8 floats at a time.
struct PlaneLayout {
  int src_h, src_w, rows, stride, half, pitch, pad_top, lead;
  int row_lo, row_hi;  // rows holding source data
  // Stride 2 with an even dilation (and padding) reads only even rows and columns: fill only
  // those (the rest stays zero and is never read).
  bool even_only = false;
  size_t size() const { return (size_t)rows * pitch + 8; }
  /** Buffer offset, within a row, of source column stride*q + cx (cx may be negative). */
  int column_offset(int cx) const {
    const int ph = ((cx % stride) + stride) % stride;
    return ph * half + lead + (cx - ph) / stride;
  }
};

// lead: zero columns before the source; reach: columns read past lead + the output width.
PlaneLayout make_layout(int src_h, int src_w, int rows, int stride, int out_w, int lead, int reach, int pad_top) {
  PlaneLayout L{};
  L.src_h = src_h;
  L.src_w = src_w;
  L.rows = rows;
  L.stride = stride;
  L.lead = lead;
  const int src_cols = (src_w + stride - 1) / stride;
  L.half = round8(lead + std::max(round8(out_w) + std::max(reach, 0), round8(src_cols)));
  L.pitch = stride * L.half;
  L.pad_top = pad_top;
  L.row_lo = std::min(pad_top, rows);
  L.row_hi = std::clamp(src_h + pad_top, L.row_lo, rows);
  return L;
}

// dst[0, round8(n)) = src[0, n) then zeros, reading only src[0, n).
inline void copy_row(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
  if (i < n) _mm256_storeu_ps(dst + i, simd::load(src + i, n - i));
}

// even[j] = src[2j], odd[j] = src[2j+1] for 2j(+1) < n, zeros after, in whole vectors.
inline void deinterleave_row(float* even, float* odd, const float* src, int n) {
  for (int j = 0; 2 * j < n; j += 8) {
    const int left = n - 2 * j;
    const __m256 a = simd::load(src + 2 * j, left);
    const __m256 b = left > 8 ? simd::load(src + 2 * j + 8, left - 8) : _mm256_setzero_ps();
    // per 128-bit lane: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit quarters put in order
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm256_storeu_ps(even + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
    _mm256_storeu_ps(odd + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
  }
}

// even[j] = src[2j] for 2j < n, zeros after, in whole vectors.
inline void even_row(float* even, const float* src, int n) {
  for (int j = 0; 2 * j < n; j += 8) {
    const int left = n - 2 * j;
    const __m256 a = simd::load(src + 2 * j, left);
    const __m256 b = left > 8 ? simd::load(src + 2 * j + 8, left - 8) : _mm256_setzero_ps();
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    _mm256_storeu_ps(even + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
  }
}

// Copies one source plane in. Positions outside the source are never written, so a buffer
// zeroed once serves every plane of the same layout.
void fill_plane(const float* src, const PlaneLayout& L, float* buf) {
  const int step = L.even_only ? 2 : 1;
  const int first = L.even_only ? L.row_lo + ((L.row_lo - L.pad_top) & 1) : L.row_lo;  // even source rows
  for (int r = first; r < L.row_hi; r += step) {
    const float* s = src + (int64_t)(r - L.pad_top) * L.src_w;
    float* d = buf + (size_t)r * L.pitch + L.lead;
    if (L.stride == 1) copy_row(d, s, L.src_w);
    else if (L.even_only) even_row(d, s, L.src_w);
    else deinterleave_row(d, d + L.half, s, L.src_w);
  }
}

// A list of taps: buffer offsets and their weights.
struct Taps {
  int count = 0;
  int offset[15 * 15];
  float weight[15 * 15];
  int index[15 * 15];  // which weight (ky*k + kx) each tap uses
  void add(int off, int idx) {
    offset[count] = off;
    index[count] = idx;
    ++count;
  }
  void load_weights(const float* w) {
    for (int t = 0; t < count; ++t) weight[t] = w[index[t]];
  }
};

// ---------------------------------------------------------------- correlation of row lists

// Output rows to compute, each with its input row (in the padded buffer) and output row:
// out[c] (+)= sum_t w_t * in[off_t + c] for c < cols. Rows of several planes that share their
// weights go in one list, so that register blocks span plane boundaries (short planes).
struct RowList {
  static constexpr int kCapacity = 64;
  int count = 0;
  const float* in_row[kCapacity];
  float* out_row[kCapacity];
  bool last[kCapacity];  // the last row of its plane: its tail must not be stored past the row's end

  // the addressing interface of corr_block, for the rows from `first` on
  struct View {
    const RowList* list;
    int first;
    const float* in(int r) const { return list->in_row[first + r]; }
    float* out(int r) const { return list->out_row[first + r]; }
    bool last_of_plane(int r) const { return list->last[first + r]; }
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
    bool last_of_plane(int r) const { return first + r == plane->rows - 1; }
  };
  int count() const { return rows; }
};

template <int R, int NV, class Rows>
inline void store_block(const Rows& rows, __m256 (&acc)[R][NV], int v0, int last, bool accumulate);

// R rows x NV vectors of output; the last vector of a row holds `last` valid lanes. It is stored
// whole, blending back what it overlaps (the next row of the same plane, written by this thread
// later or earlier), except in a plane's last row, which uses a masked store.
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
  const __m256 keep = _mm256_castsi256_ps(simd::first_lanes(last));
  PVLL_UNROLL for (int r = 0; r < R; ++r) {
    if (last < 8 && rows.last_of_plane(r)) continue;
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
    if (last < 8 && rows.last_of_plane(r)) {
      PVLL_UNROLL for (int v = 0; v < NV; ++v)
        simd::store(p + 8 * v, acc[r][v], v == NV - 1 ? last : 8, accumulate);
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
void correlate(RowList& list, const Taps& taps, int cols, bool accumulate) {
  correlate_rows(list, list.count, taps, cols, accumulate);
  list.count = 0;
}

// Computes one plane's rows.
void correlate(const PlaneRows& plane, const Taps& taps, int cols, bool accumulate) {
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
bool has_reuse_kernel(int k, int d) { return k == 5 && (d == 1 || d == 2); }

void correlate_reuse(const PlaneRows& plane, int k, int d, const int* column_offset, const float* weight, int cols,
                     bool accumulate) {
  if (d == 1) reuse_plane<5, 1>(plane, column_offset, weight, cols, accumulate);
  else reuse_plane<5, 2>(plane, column_offset, weight, cols, accumulate);
}

// Adds the rows of one plane to the list, computing the list whenever it is full.
void add_plane(RowList& list, const PlaneRows& plane, const Taps& taps, int cols, bool accumulate) {
  for (int r = 0; r < plane.rows; ++r) {
    if (list.count == RowList::kCapacity) correlate(list, taps, cols, accumulate);
    list.in_row[list.count] = plane.in_base + r * plane.in_step;
    list.out_row[list.count] = plane.out_base + r * plane.out_step;
    list.last[list.count] = r == plane.rows - 1;
    ++list.count;
  }
}

// ---------------------------------------------------------------- shapes of one call

struct Depthwise {
  int n, c, h, w, k, stride, dilation, pad, oh, ow;
  Depthwise(int n_, int c_, int h_, int w_, int k_, int s_, int d_)
      : n(n_), c(c_), h(h_), w(w_), k(k_), stride(s_), dilation(d_), pad(d_ * (k_ - 1) / 2) {
    oh = (h - 1) / stride + 1;
    ow = (w - 1) / stride + 1;
  }
  int64_t in_plane() const { return (int64_t)h * w; }
  int64_t out_plane() const { return (int64_t)oh * ow; }
  int span() const { return (k - 1) * dilation; }

  // The padded input as the forward pass and the weight gradient read it.
  PlaneLayout input_layout() const {
    const int rows = (oh - 1) * stride + span() + 1;
    PlaneLayout L = make_layout(h, w, rows, stride, ow, (pad + stride - 1) / stride, pad / stride, pad);
    L.even_only = stride == 2 && dilation % 2 == 0;  // then pad is even too: even rows, phase 0
    return L;
  }
  Taps forward_taps(const PlaneLayout& L) const {
    Taps t;
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        t.add(ky * dilation * L.pitch + L.column_offset(kx * dilation - pad), ky * k + kx);
      }
    return t;
  }
};

// Planes of one channel (consecutive images) computed as one row list: about 64 rows, for
// planes of at most 8 rows. Taller planes go one at a time, in memory order, which the
// hardware prefetcher follows (a batch reads planes C planes apart).
int planes_per_batch(int n, int rows) { return rows > 8 ? 1 : std::clamp(64 / std::max(1, rows), 1, n); }

// Runs the correlation of every (image, channel) plane: for each channel, batches of `batch`
// images are filled into consecutive scratch planes and computed as one row list. The
// work items (channel, image batch) write disjoint outputs.
void correlate_planes(const Depthwise& g, const float* src, int64_t src_plane, const PlaneLayout& L,
                      int64_t in_step, const Taps& base, const float* w, bool flip, float* dst,
                      int out_h, int out_w, bool accumulate) {
  // stride 1 with a row-reuse kernel: one plane at a time (a block covers a short plane whole)
  const bool reuse = in_step == L.pitch && L.stride == 1 && has_reuse_kernel(g.k, g.dilation);
  int column_offset[15];
  for (int kx = 0; kx < g.k; ++kx) column_offset[kx] = L.column_offset(kx * g.dilation - g.pad);
  const int batch = reuse ? 1 : planes_per_batch(g.n, out_h);
  const int batches = (g.n + batch - 1) / batch;
  const int64_t dst_plane = (int64_t)out_h * out_w, kk = (int64_t)g.k * g.k;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, dst_plane * batch));
  parallel_for((int64_t)g.c * batches, grain, [&](int64_t begin, int64_t end) {
    float* buf = scratch(0, L.size() * batch);
    std::memset(buf, 0, sizeof(float) * L.size() * batch);
    Taps taps = base;
    RowList list;
    for (int64_t item = begin; item < end; ++item) {
      // batches of one channel (channel-major), or single planes in memory order
      const int ch = batch > 1 ? (int)(item / batches) : (int)(item % g.c);
      const int first = batch > 1 ? (int)(item % batches) * batch : (int)(item / g.c);
      const int count = std::min(batch, g.n - first);
      taps.load_weights(w + ch * kk);
      if (flip) std::reverse(taps.weight, taps.weight + taps.count);
      for (int j = 0; j < count; ++j) {
        const int64_t plane = (int64_t)(first + j) * g.c + ch;
        // planes of one channel lie C planes apart: fetch the next one ahead (no hardware
        // prefetcher follows that stride)
        const int64_t next = j + 1 < count ? plane + g.c : -1;
        if (next >= 0)
          for (int64_t b = 0; b < src_plane; b += 16) _mm_prefetch((const char*)(src + next * src_plane + b), _MM_HINT_T0);
        float* b = buf + L.size() * j;
        fill_plane(src + plane * src_plane, L, b);
        const PlaneRows rows{b, in_step, dst + plane * dst_plane, out_w, out_h};
        if (reuse) correlate_reuse(rows, g.k, g.dilation, column_offset, taps.weight, out_w, accumulate);
        else if (batch == 1) correlate(rows, taps, out_w, accumulate);
        else add_plane(list, rows, taps, out_w, accumulate);
      }
      if (list.count) correlate(list, taps, out_w, accumulate);
    }
  });
}

void forward(const Depthwise& g, const float* x, const float* w, float* y) {
  const PlaneLayout L = g.input_layout();
  correlate_planes(g, x, g.in_plane(), L, (int64_t)g.stride * L.pitch, g.forward_taps(L), w, false, y, g.oh,
                   g.ow, false);
}

// Stride 1: the input gradient is the forward correlation of dy with the flipped kernel.
void backward_input_stride1(const Depthwise& g, const float* dy, const float* w, float* dx, bool accumulate) {
  const PlaneLayout L = make_layout(g.oh, g.ow, g.h + g.span(), 1, g.w, g.pad, g.pad, g.pad);
  // taps in forward order (ky, kx); their weights reversed = w[k-1-ky][k-1-kx]
  Taps base;
  for (int ky = 0; ky < g.k; ++ky)
    for (int kx = 0; kx < g.k; ++kx)
      base.add(ky * g.dilation * L.pitch + L.column_offset(kx * g.dilation - g.pad), ky * g.k + kx);
  correlate_planes(g, dy, g.out_plane(), L, L.pitch, base, w, true, dx, g.h, g.w, accumulate);
}

// line[2q + e] = phase e at q, for q < wq (a multiple of 8): even = phase 0, odd = phase 1.
inline void interleave_row(const float* even, int wq, float* line) {
  const float* odd = even + wq;
  for (int q = 0; q < wq; q += 8) {
    const __m256 a = _mm256_load_ps(even + q), b = _mm256_load_ps(odd + q);
    const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    _mm256_storeu_ps(line + 2 * q, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(line + 2 * q + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
}

// dst plane (h rows of w, contiguous) (+)= rows of src (row stride src_step), writing only inside
// the plane. Rows of 8 or more end with a whole vector at w - 8 (overlapping the one before;
// every load of a row precedes its stores, so both write the same values); narrower rows blend
// their tail with the next row's start, loads first, and the plane's last row is masked.
void copy_plane(const float* src, int64_t src_step, float* dst, int h, int w, bool accumulate) {
  if (w >= 8) {
    const int full = w / 8;
    for (int iy = 0; iy < h; ++iy) {
      const float* s = src + iy * src_step;
      float* d = dst + (int64_t)iy * w;
      if (!accumulate) {
        for (int j = 0; j < full; ++j) _mm256_storeu_ps(d + 8 * j, _mm256_loadu_ps(s + 8 * j));
        if (w % 8) _mm256_storeu_ps(d + w - 8, _mm256_loadu_ps(s + w - 8));
        continue;
      }
      const __m256 tail = w % 8 ? _mm256_add_ps(_mm256_loadu_ps(s + w - 8), _mm256_loadu_ps(d + w - 8))
                                : _mm256_setzero_ps();
      for (int j = 0; j < full; ++j) {
        const __m256 v = _mm256_add_ps(_mm256_loadu_ps(s + 8 * j), _mm256_loadu_ps(d + 8 * j));
        if (j == full - 1 && w % 8) _mm256_storeu_ps(d + w - 8, tail);
        _mm256_storeu_ps(d + 8 * j, v);
      }
    }
    return;
  }
  __m256 out[8];  // w < 8: rows in groups of 8
  const __m256 keep = _mm256_castsi256_ps(simd::first_lanes(w));
  for (int y0 = 0; y0 < h; y0 += 8) {
    const int rows = std::min(8, h - y0);
    for (int r = 0; r < rows; ++r) {
      const int iy = y0 + r;
      const __m256 v = _mm256_loadu_ps(src + iy * src_step);
      float* d = dst + (int64_t)iy * w;
      if (iy == h - 1) {
        out[r] = v;
        continue;
      }
      const __m256 old = _mm256_loadu_ps(d);
      out[r] = _mm256_blendv_ps(old, accumulate ? _mm256_add_ps(old, v) : v, keep);
    }
    for (int r = 0; r < rows; ++r) {
      const int iy = y0 + r;
      if (iy == h - 1) simd::store(dst + (int64_t)iy * w, out[r], w, accumulate);
      else _mm256_storeu_ps(dst + (int64_t)iy * w, out[r]);
    }
  }
}

// Stride 2. Input row iy receives tap ky from dy row (iy + pad - ky*d)/2 when that is whole, so
// rows of one parity ry = (iy+pad)%2 share their taps, and consecutive rows of that parity read
// consecutive dy rows. Likewise columns: with u = ix + pad = 2q + e, tap kx (kx*d%2 == e) reads
// dy column q - (kx*d - e)/2. Each (ry, e) phase is one correlation over the padded dy; the two
// column phases land in a scratch row pair and are interleaved into dx.
void backward_input_stride2(const Depthwise& g, const float* dy, const float* w, float* dx, bool accumulate) {
  const int d = g.dilation, k = g.k, pad = g.pad;
  const int P = (g.span() + 1) / 2;            // dy padding on top and left
  const int wq = (g.w - 1 + pad) / 2 + 1;      // q positions per column phase
  const int wqv = round8(wq);
  const int rows = (g.h - 1 + pad) / 2 + P + 1;
  const PlaneLayout L = make_layout(g.oh, g.ow, rows, 1, wqv, P, 0, P);
  Taps phase[2][2];
  for (int ry = 0; ry < 2; ++ry)
    for (int e = 0; e < 2; ++e)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx)
          if ((ky * d) % 2 == ry && (kx * d) % 2 == e)
            phase[ry][e].add((P - (ky * d - ry) / 2) * L.pitch + L.column_offset(-(kx * d - e) / 2),
                             ky * k + kx);
  const int64_t sc_row = 2 * (int64_t)wqv;  // one input row: phase 0 then phase 1
  const int64_t sc_plane = (int64_t)g.h * sc_row + 16;
  // Like correlate_planes: batches of planes of one channel for short planes, else one plane at
  // a time in memory order.
  const int batch = planes_per_batch(g.n, g.oh);
  const int batches = (g.n + batch - 1) / batch;
  const int64_t grain = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, g.in_plane() * batch));
  parallel_for((int64_t)g.c * batches, grain, [&](int64_t begin, int64_t end) {
    float* buf = scratch(0, L.size() * batch);
    float* sc = scratch(1, (size_t)sc_plane * batch);
    float* lines = scratch(2, 2 * (size_t)sc_plane);  // two interleaved planes, used in turn
    std::memset(buf, 0, sizeof(float) * L.size() * batch);
    Taps taps[2][2] = {{phase[0][0], phase[0][1]}, {phase[1][0], phase[1][1]}};
    RowList list;
    int64_t pending = -1;  // plane interleaved into `lines` last, copied out one step later
    float* pending_lines = nullptr;
    for (int64_t item = begin; item < end; ++item) {
      const int ch = batch > 1 ? (int)(item / batches) : (int)(item % g.c);
      const int first = batch > 1 ? (int)(item % batches) * batch : (int)(item / g.c);
      const int count = std::min(batch, g.n - first);
      const float* wc = w + (int64_t)ch * k * k;
      for (int j = 0; j < count; ++j)
        fill_plane(dy + ((int64_t)(first + j) * g.c + ch) * g.out_plane(), L, buf + L.size() * j);
      for (int ry = 0; ry < 2; ++ry) {
        const int iy0 = ((ry - pad) % 2 + 2) % 2;  // first row with (iy + pad) % 2 == ry
        if (iy0 >= g.h) continue;
        const int nrows = (g.h - iy0 + 1) / 2;
        for (int e = 0; e < 2; ++e) {
          taps[ry][e].load_weights(wc);
          for (int j = 0; j < count; ++j) {
            const float* in = buf + L.size() * j + (int64_t)((iy0 + pad - ry) / 2) * L.pitch;
            const PlaneRows rows{in, L.pitch, sc + sc_plane * j + iy0 * sc_row + e * wqv, 2 * sc_row, nrows};
            if (count == 1) correlate(rows, taps[ry][e], wqv, false);
            else add_plane(list, rows, taps[ry][e], wqv, false);
          }
          if (list.count) correlate(list, taps[ry][e], wqv, false);
        }
      }
      for (int j = 0; j < count; ++j) {
        // Plane j is interleaved while the plane interleaved before it is copied out: reading
        // it back right away (shifted by pad) would hit stores still in flight, which cannot
        // be forwarded to a load that straddles them.
        float* mine = lines + sc_plane * (pending_lines == lines ? 1 : 0);
        for (int iy = 0; iy < g.h; ++iy) interleave_row(sc + sc_plane * j + iy * sc_row, wqv, mine + iy * sc_row);
        if (pending >= 0) copy_plane(pending_lines + pad, sc_row, dx + pending * g.in_plane(), g.h, g.w, accumulate);
        pending = (int64_t)(first + j) * g.c + ch;
        pending_lines = mine;
      }
    }
    if (pending >= 0) copy_plane(pending_lines + pad, sc_row, dx + pending * g.in_plane(), g.h, g.w, accumulate);
  });
}

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
      const __m256 dv = simd::load(drow + 8 * v, v == nvec - 1 ? last : 8);
      PVLL_UNROLL for (int t = 0; t < NT; ++t)
        acc[t] = _mm256_fmadd_ps(dv, _mm256_loadu_ps(xrow + off[t] + 8 * v), acc[t]);
    }
  }
  PVLL_UNROLL for (int t = 0; t < NT; ++t) _mm256_store_ps(part + 8 * t, acc[t]);
}

void weight_tap_group(int nt, const float* in, int64_t in_step, const int* off, const float* dy,
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
  PVLL_UNROLL for (int r = 0; r < R; ++r) d[r] = simd::load(dy + r * dy_step, lanes);
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

void backward_weight(const Depthwise& g, const float* x, const float* dy, float* dw, bool accumulate) {
  const PlaneLayout L = g.input_layout();
  const Taps taps = g.forward_taps(L);
  const int kk = g.k * g.k;
  const bool reuse = g.stride == 1 && has_reuse_kernel(g.k, g.dilation);
  int column_offset[15];
  for (int kx = 0; kx < g.k; ++kx) column_offset[kx] = L.column_offset(kx * g.dilation - g.pad);
  // 8-lane float partials go to double every `flush` planes (about 2k terms per lane).
  const int flush = (int)std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.out_plane()));
  parallel_for(g.c, 1, [&](int64_t begin, int64_t end) {
    float* buf = scratch(0, L.size());
    float* part = scratch(1, (size_t)8 * kk);
    std::memset(buf, 0, sizeof(float) * L.size());
    std::vector<double> sum(kk);
    for (int64_t ch = begin; ch < end; ++ch) {
      std::fill(sum.begin(), sum.end(), 0.0);
      std::memset(part, 0, sizeof(float) * 8 * kk);
      for (int img = 0; img < g.n; ++img) {
        const int64_t p = (int64_t)img * g.c + ch;
        fill_plane(x + p * g.in_plane(), L, buf);
        if (reuse && g.dilation == 1) {
          reuse_weight_plane<5, 1>(buf, L.pitch, column_offset, dy + p * g.out_plane(), g.oh, g.ow, part);
        } else if (reuse) {
          reuse_weight_plane<5, 2>(buf, L.pitch, column_offset, dy + p * g.out_plane(), g.oh, g.ow, part);
        } else {
          for (int t0 = 0; t0 < kk; t0 += 9)
            weight_tap_group(std::min(9, kk - t0), buf, (int64_t)g.stride * L.pitch, taps.offset + t0,
                             dy + p * g.out_plane(), g.oh, g.ow, part + 8 * t0);
        }
        if ((img + 1) % flush == 0 || img + 1 == g.n) {
          for (int t = 0; t < kk; ++t) sum[t] += simd::hsum(_mm256_load_ps(part + 8 * t));
          std::memset(part, 0, sizeof(float) * 8 * kk);
        }
      }
      float* dwc = dw + ch * kk;
      for (int t = 0; t < kk; ++t) dwc[t] = (float)((accumulate ? (double)dwc[t] : 0.0) + sum[t]);
    }
  });
}

int check(const char* name, int n, int c, int h, int w, int k, int stride, int dilation,
          const void* a, const void* b, const void* out) {
  const ConvShape s = depthwise_shape(n, c, h, w, k, stride, dilation);
  PVLL_REQUIRE(depthwise_supported(k, stride, dilation),
               "%s: unsupported k=%d stride=%d dilation=%d (odd k <= 15, stride 1 or 2, dilation 1..8)",
               name, k, stride, dilation);
  PVLL_REQUIRE(s.valid(), "%s: bad shape (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE((int64_t)h * w <= (1 << 26), "%s: plane too large (%dx%d)", name, h, w);
  PVLL_REQUIRE(a && b && out, "%s: NULL tensor pointer", name);
  return PVLL_OK;
}

}  // namespace
}  // namespace pvll

PVLL_API int pvll_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h,
                                    int w_in, int k, int stride, int dilation) {
  const char* name = "pvll_depthwise_forward";
  if (int st = pvll::check(name, n, c, h, w_in, k, stride, dilation, x, w, y)) return st;
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_correlate(x, w, y, n, c, h, w_in, dilation, false, false);
    else pvll::forward(pvll::Depthwise(n, c, h, w_in, k, stride, dilation), x, w, y);
  })
  return PVLL_OK;
}

PVLL_API int pvll_depthwise_backward_input(const float* dy, const float* w, float* dx, int n, int c,
                                           int h, int w_in, int k, int stride, int dilation,
                                           int accumulate) {
  const char* name = "pvll_depthwise_backward_input";
  if (int st = pvll::check(name, n, c, h, w_in, k, stride, dilation, dy, w, dx)) return st;
  const pvll::Depthwise g(n, c, h, w_in, k, stride, dilation);
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_correlate(dy, w, dx, n, c, h, w_in, dilation, true, accumulate != 0);
    else if (stride == 1) pvll::backward_input_stride1(g, dy, w, dx, accumulate != 0);
    else pvll::backward_input_stride2(g, dy, w, dx, accumulate != 0);
  })
  return PVLL_OK;
}

PVLL_API int pvll_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n, int c,
                                            int h, int w_in, int k, int stride, int dilation,
                                            int accumulate) {
  const char* name = "pvll_depthwise_backward_weight";
  if (int st = pvll::check(name, n, c, h, w_in, k, stride, dilation, x, dy, dw)) return st;
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_weight_grad(x, dy, dw, n, c, h, w_in, dilation, accumulate != 0);
    else pvll::backward_weight(pvll::Depthwise(n, c, h, w_in, k, stride, dilation), x, dy, dw, accumulate != 0);
  })
  return PVLL_OK;
}
