// Depthwise 3x3, stride 1, dilation d ("same" padding d), straight from the NCHW planes.
//
// Output row oy needs input rows oy-d, oy, oy+d; rows of one parity (for d = 2) never meet rows
// of the other, so each plane is swept as d independent row sequences r = p, p+d, p+2d, ...
// in which output row j needs input rows j-1, j, j+1 of the sequence. Input row j is loaded
// once at three column shifts (-d, 0, +d; lanes outside the row read as zero through masked
// loads, so no padded copy is needed) and feeds three output rows held in registers: j+1
// (kernel row 0), j (row 1) and j-1 (row 2), which is then complete. The nine weights stay in
// registers: 3 loads per 9 FMAs, against one load per FMA for the general kernel.
//
// The weight gradient sweeps the same way: input row j at its three shifts times dy rows j+1,
// j, j-1 adds into nine accumulators (one per tap), 4 loads per 9 FMAs.
#include "depthwise3x3.h"

#include "depthwise_plane.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "parallel.h"
#include "scratch.h"
#include "avx2.h"

namespace pvll {
namespace {

// How to load the 8 lanes at column c + shift of a row of width w: whole when inside the row,
// else masked to the lanes inside (the others read as zero and touch no memory).
struct ShiftedLoad {
  int offset;  // c + shift
  bool whole;
  __m256i mask;
  __m256 load(const float* row) const {
    return whole ? _mm256_loadu_ps(row + offset) : _mm256_maskload_ps(row + offset, mask);
  }
};

ShiftedLoad shifted_load(int c, int shift, int w) {
  ShiftedLoad s;
  s.offset = c + shift;
  s.whole = s.offset >= 0 && s.offset + 8 <= w;
  alignas(32) int32_t lanes[8];
  for (int j = 0; j < 8; ++j) lanes[j] = s.offset + j >= 0 && s.offset + j < w ? -1 : 0;
  s.mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
  return s;
}

// The loads of one column vector (at column c) of any row: shifts -d, 0, +d.
struct ColumnLoads {
  ShiftedLoad left, mid, right;
};

std::vector<ColumnLoads> column_loads(int w, int d) {
  std::vector<ColumnLoads> v;
  for (int c = 0; c < w; c += 8) v.push_back({shifted_load(c, -d, w), shifted_load(c, 0, w), shifted_load(c, d, w)});
  return v;
}

// Stores the lanes of v that fall inside an output row of width w (column c on). Masked stores
// are slow, so a tail vector is stored whole where that is safe. Its overrun lands on the first
// lanes of the next row, which is written either before (rows of 8 or more: an earlier column
// sweep; dilation 2: the other parity's sweep) or after it (dilation 1, rows under 8). Before:
// blend back what is there (that store is long retired, so the load is not stalled). After:
// without accumulate a plain store, the next row overwrites the overrun; with accumulate the
// blend's load would straddle the previous row's store, still in flight, so mask. A row whose
// plane has fewer than 8 - n floats after it (the last row; the last rows when w < 8) uses a
// masked store: nothing is ever written past the plane.
inline void store_lanes(float* row, int c, int w, int d, __m256 v, bool accumulate, const float* plane_end) {
  const int n = w - c;
  if (n >= 8) avx2::store(row + c, v, 8, accumulate);
  else if (plane_end - (row + w) < 8 - n) avx2::store(row + c, v, n, accumulate);
  else if (w >= 8 || d > 1) avx2::store_blend(row + c, v, n, accumulate);
  else if (!accumulate) _mm256_storeu_ps(row + c, v);
  else avx2::store(row + c, v, n, accumulate);
}

// plane_end: one past the output plane's last float (no store may reach it).
inline void sweep_column(const float* in, int64_t in_step, float* out, int64_t out_step, int count, int c, int w,
                         int d, const ColumnLoads& cl, const __m256 (&wt)[9], bool accumulate,
                         const float* plane_end) {
  __m256 row0 = _mm256_setzero_ps();  // kernel row 0 of output j (from input row j-1)
  __m256 rows01 = _mm256_setzero_ps();  // kernel rows 0 + 1 of output j-1
  for (int j = 0; j < count; ++j) {
    const float* row = in + j * in_step;
    const __m256 l = cl.left.load(row);
    __m256 a0 = _mm256_mul_ps(wt[0], l), a1 = _mm256_mul_ps(wt[3], l), a2 = _mm256_mul_ps(wt[6], l);
    const __m256 m = cl.mid.load(row);
    a0 = _mm256_fmadd_ps(wt[1], m, a0);
    a1 = _mm256_fmadd_ps(wt[4], m, a1);
    a2 = _mm256_fmadd_ps(wt[7], m, a2);
    const __m256 r = cl.right.load(row);
    a0 = _mm256_fmadd_ps(wt[2], r, a0);
    a1 = _mm256_fmadd_ps(wt[5], r, a1);
    a2 = _mm256_fmadd_ps(wt[8], r, a2);
    if (j > 0) store_lanes(out + (j - 1) * out_step, c, w, d, _mm256_add_ps(rows01, a2), accumulate, plane_end);
    rows01 = _mm256_add_ps(row0, a1);
    row0 = a0;
  }
  store_lanes(out + (count - 1) * out_step, c, w, d, rows01, accumulate, plane_end);  // input row `count` is padding
}

// y plane (h x w) (+)= the correlation of the x plane (rows x_pitch apart) with wt.
void correlate_plane(const float* x, int64_t x_pitch, float* y, int h, int w, int d,
                     const std::vector<ColumnLoads>& cols, const __m256 (&wt)[9], bool accumulate) {
  for (int p = 0; p < d && p < h; ++p) {
    const int count = (h - p + d - 1) / d;
    for (size_t v = 0; v < cols.size(); ++v)
      sweep_column(x + p * x_pitch, d * x_pitch, y + (int64_t)p * w, (int64_t)d * w, count, (int)v * 8, w, d,
                   cols[v], wt, accumulate, y + (int64_t)h * w);
  }
}

// The nine tap sums of one column vector of one row sequence, added to acc.
inline void weight_column(const float* x, const float* dy, int64_t step, int count, int c, int w,
                          const ColumnLoads& cl, __m256 (&acc)[9]) {
  const int lanes = std::min(8, w - c);
  __m256 dprev = _mm256_setzero_ps();                     // dy row j-1
  __m256 dcur = avx2::load(dy + c, lanes);                // dy row j
  for (int j = 0; j < count; ++j) {
    const float* row = x + j * step;
    const __m256 dnext = j + 1 < count ? avx2::load(dy + (j + 1) * step + c, lanes) : _mm256_setzero_ps();
    const __m256 l = cl.left.load(row), m = cl.mid.load(row), r = cl.right.load(row);
    // x row j is kernel row 0 of output j+1, row 1 of output j, row 2 of output j-1
    acc[0] = _mm256_fmadd_ps(dnext, l, acc[0]);
    acc[1] = _mm256_fmadd_ps(dnext, m, acc[1]);
    acc[2] = _mm256_fmadd_ps(dnext, r, acc[2]);
    acc[3] = _mm256_fmadd_ps(dcur, l, acc[3]);
    acc[4] = _mm256_fmadd_ps(dcur, m, acc[4]);
    acc[5] = _mm256_fmadd_ps(dcur, r, acc[5]);
    acc[6] = _mm256_fmadd_ps(dprev, l, acc[6]);
    acc[7] = _mm256_fmadd_ps(dprev, m, acc[7]);
    acc[8] = _mm256_fmadd_ps(dprev, r, acc[8]);
    dprev = dcur;
    dcur = dnext;
  }
}

}  // namespace

void depthwise3x3_correlate(const float* x, const float* w, float* y, int n, int c, int h, int w_in,
                            int d, bool flip, bool accumulate) {
  const std::vector<ColumnLoads> cols = column_loads(w_in, d);
  const int64_t plane = (int64_t)h * w_in;
  const int64_t grain = std::max<int64_t>(1, 2048 / plane);
  parallel_for((int64_t)n * c, grain, [&](int64_t begin, int64_t end) {
    __m256 wt[9];
    for (int64_t p = begin; p < end; ++p) {
      const float* wc = w + (p % c) * 9;
      for (int t = 0; t < 9; ++t) wt[t] = _mm256_broadcast_ss(wc + (flip ? 8 - t : t));
      correlate_plane(x + p * plane, w_in, y + p * plane, h, w_in, d, cols, wt, accumulate);
    }
  });
}

void depthwise3x3_input_grad_stride2(const float* dy, const float* w, float* dx, int n, int c, int h, int w_in,
                                     int d, bool accumulate) {
  const std::vector<ColumnLoads> cols = column_loads(w_in, d);
  const int oh = (h - 1) / 2 + 1, ow = (w_in - 1) / 2 + 1;
  const int64_t pitch = (w_in + 15) / 16 * 16 + 16, in_plane = (int64_t)oh * ow, out_plane = (int64_t)h * w_in;
  const int64_t grain = std::max<int64_t>(1, 2048 / out_plane);
  parallel_for((int64_t)n * c, grain, [&](int64_t begin, int64_t end) {
    // U, h rows of pitch: odd rows stay zero, even rows are rewritten for each plane
    float* u = scratch(0, (size_t)h * pitch);
    std::memset(u, 0, sizeof(float) * h * pitch);
    __m256 wt[9];
    for (int64_t p = begin; p < end; ++p) {
      const float* wc = w + (p % c) * 9;
      for (int t = 0; t < 9; ++t) wt[t] = _mm256_broadcast_ss(wc + 8 - t);
      const float* dyp = dy + p * in_plane;
      for (int oy = 0; oy < oh; ++oy) depthwise::upsample_row(u + 2 * oy * pitch, dyp + (int64_t)oy * ow, ow);
      correlate_plane(u, pitch, dx + p * out_plane, h, w_in, d, cols, wt, accumulate);
    }
  });
}

void depthwise3x3_weight_grad(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                              int d, bool accumulate) {
  const std::vector<ColumnLoads> cols = column_loads(w_in, d);
  const int64_t plane = (int64_t)h * w_in;
  // 8-lane float sums go to double every `flush` images (about 2k terms per lane)
  const int flush = (int)std::max<int64_t>(1, 16384 / plane);
  // Fixed chunks of images, each summing its images in order (planes in memory order, which
  // the prefetcher follows) into per-chunk partials added in chunk order: no thread dependence.
  std::vector<double> total;
  reduce_over_images(n, (size_t)c * 9, total, [&](int begin, int end, double* partial) {
    float* part = scratch(0, (size_t)c * 9 * 8);
    std::memset(part, 0, sizeof(float) * c * 9 * 8);
    for (int img = begin; img < end; ++img) {
      for (int ch = 0; ch < c; ++ch) {
        float* pc = part + (size_t)ch * 72;
        __m256 acc[9];
        for (int t = 0; t < 9; ++t) acc[t] = _mm256_load_ps(pc + 8 * t);
        const int64_t p = (int64_t)img * c + ch;
        for (int ph = 0; ph < d && ph < h; ++ph) {
          const int count = (h - ph + d - 1) / d;
          for (size_t v = 0; v < cols.size(); ++v)
            weight_column(x + p * plane + (int64_t)ph * w_in, dy + p * plane + (int64_t)ph * w_in, (int64_t)d * w_in,
                          count, (int)v * 8, w_in, cols[v], acc);
        }
        for (int t = 0; t < 9; ++t) _mm256_store_ps(pc + 8 * t, acc[t]);
      }
      if ((img - begin + 1) % flush == 0 || img + 1 == end) {
        for (int i = 0; i < c * 9; ++i) {
          partial[i] += avx2::hsum(_mm256_load_ps(part + 8 * i));
          _mm256_store_ps(part + 8 * i, _mm256_setzero_ps());
        }
      }
    }
  });
  write_sum(dw, total.data(), (size_t)c * 9, accumulate);
}

}  // namespace pvll
