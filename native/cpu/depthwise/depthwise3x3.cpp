// Depthwise 3x3, stride 1, dilation d ("same" padding d), straight from the NCHW planes.
//
// Output row oy needs input rows oy-d, oy, oy+d; rows of one parity (for d = 2) never meet rows
// of the other, so each plane is swept as d independent row sequences r = p, p+d, p+2d, ...
// in which output row j needs input rows j-1, j, j+1 of the sequence. Input row j is loaded
// once at three column shifts (-d, 0, +d; lanes outside the row read as zero, through a plain
// load and a lane mask, or a masked load near the tensor's ends, so no padded copy is needed)
// and feeds three output rows held in registers: j+1 (kernel row 0), j (row 1) and j-1 (row 2),
// which is then complete. The nine weights stay in registers: 3 loads per 9 FMAs, against one
// load per FMA for the general kernel.
//
// The weight gradient sweeps the same way: input row j at its three shifts times dy rows j+1,
// j, j-1 adds into nine accumulators (one per tap), 4 loads per 9 FMAs.
#include "depthwise3x3.h"

#include "depthwise_plane.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "cpu_features.h"
#include "parallel.h"
#include "scratch.h"
#include "avx2.h"

namespace pvll {
namespace {

// How to load the 8 lanes at column c + shift of a row of width w: whole when inside the row,
// else with the lanes outside the row zero. kInside: the 8 floats lie inside the tensor (see
// inside_tensor), so a plain load ANDed with the lane mask does it; else a masked load, which
// touches no memory outside the row but is slower (vmaskmovps).
struct ShiftedLoad {
  int offset;  // c + shift
  bool whole;
  __m256i mask;
  template <bool kInside>
  __m256 load(const float* row) const {
    if (whole) return _mm256_loadu_ps(row + offset);
    if constexpr (kInside) return _mm256_and_ps(_mm256_loadu_ps(row + offset), _mm256_castsi256_ps(mask));
    return _mm256_maskload_ps(row + offset, mask);
  }
};

// Whether every load of plane p (of `planes` planes of `plane` floats) stays inside the tensor:
// a row's loads reach from d floats before it to d + 7 past its end.
inline bool inside_tensor(int64_t p, int64_t planes, int64_t plane, int d) {
  return p * plane >= d && (planes - 1 - p) * plane >= d + 8;
}

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
// blend's load would straddle the previous row's store, still in flight, so store only the n
// lanes. A row whose plane has fewer than 8 - n floats after it (the last row; the last rows
// when w < 8) stores only its n lanes too: nothing is ever written past the plane. Those partial
// stores are 4-, 2- and 1-float pieces, not vmaskmovps (slow on Zen 4).
inline void store_lanes(float* row, int c, int w, int d, __m256 v, bool accumulate, const float* plane_end) {
  const int n = w - c;
  if (n >= 8) {
    avx2::store(row + c, v, 8, accumulate);
  } else if (plane_end - (row + w) < 8 - n || (w < 8 && d == 1 && accumulate)) {
    if (accumulate) v = _mm256_add_ps(v, avx2::load(row + c, n));
    avx2::store_first(row + c, v, n);
  } else if (w >= 8 || d > 1) {
    avx2::store_blend(row + c, v, n, accumulate);
  } else {
    _mm256_storeu_ps(row + c, v);
  }
}

// NP planes that share their weights and geometry (one channel, consecutive images) swept
// together: NP independent chains per step keep both FMA pipes busy on short planes, where one
// plane's few rows leave them idle. in[i], out[i]: plane i (from its first row of the
// sequence); plane_end[i]: one past its output plane's last float (no store may reach it).
template <bool kInside, int NP>
inline void sweep_column(const float* const (&in)[NP], int64_t in_step, float* const (&out)[NP], int64_t out_step,
                         int count, int c, int w, int d, const ColumnLoads& cl, const __m256 (&wt)[9],
                         bool accumulate, const float* const (&plane_end)[NP]) {
  __m256 row0[NP], rows01[NP];  // kernel row 0 of output j (from input row j-1); rows 0 + 1 of output j-1
  PVLL_UNROLL for (int i = 0; i < NP; ++i) row0[i] = rows01[i] = _mm256_setzero_ps();
  for (int j = 0; j < count; ++j) {
    PVLL_UNROLL for (int i = 0; i < NP; ++i) {
      const float* row = in[i] + j * in_step;
      const __m256 l = cl.left.load<kInside>(row);
      const __m256 m = cl.mid.load<kInside>(row);
      const __m256 r = cl.right.load<kInside>(row);
      // the FMAs chain on through the output rows' partial sums: 9 FMA-pipe operations per
      // vector and no adds (measured 1.05-1.3x faster than three fresh sums added together)
      __m256 a2 = _mm256_fmadd_ps(wt[6], l, rows01[i]);
      __m256 a1 = _mm256_fmadd_ps(wt[3], l, row0[i]);
      __m256 a0 = _mm256_mul_ps(wt[0], l);
      a2 = _mm256_fmadd_ps(wt[7], m, a2);
      a1 = _mm256_fmadd_ps(wt[4], m, a1);
      a0 = _mm256_fmadd_ps(wt[1], m, a0);
      a2 = _mm256_fmadd_ps(wt[8], r, a2);
      a1 = _mm256_fmadd_ps(wt[5], r, a1);
      a0 = _mm256_fmadd_ps(wt[2], r, a0);
      if (j > 0) store_lanes(out[i] + (j - 1) * out_step, c, w, d, a2, accumulate, plane_end[i]);
      rows01[i] = a1;
      row0[i] = a0;
    }
  }
  PVLL_UNROLL for (int i = 0; i < NP; ++i)  // input row `count` is padding
    store_lanes(out[i] + (count - 1) * out_step, c, w, d, rows01[i], accumulate, plane_end[i]);
}

// y planes (h x w) (+)= the correlation of the x planes (rows x_pitch apart) with wt.
template <bool kInside, int NP>
void correlate_plane(const float* const (&x)[NP], int64_t x_pitch, float* const (&y)[NP], int h, int w, int d,
                     const std::vector<ColumnLoads>& cols, const __m256 (&wt)[9], bool accumulate) {
  const float* plane_end[NP];
  PVLL_UNROLL for (int i = 0; i < NP; ++i) plane_end[i] = y[i] + (int64_t)h * w;
  for (int p = 0; p < d && p < h; ++p) {
    const int count = (h - p + d - 1) / d;
    const float* in[NP];
    float* out[NP];
    PVLL_UNROLL for (int i = 0; i < NP; ++i) {
      in[i] = x[i] + p * x_pitch;
      out[i] = y[i] + (int64_t)p * w;
    }
    for (size_t v = 0; v < cols.size(); ++v)
      sweep_column<kInside, NP>(in, d * x_pitch, out, (int64_t)d * w, count, (int)v * 8, w, d, cols[v], wt,
                                accumulate, plane_end);
  }
}

// The nine tap sums of one column vector of one row sequence, added to acc.
// (always inlined: acc must stay in registers, not go through memory by reference)
template <bool kInside>
[[gnu::always_inline]] inline void weight_column(const float* x, const float* dy, int64_t step, int count, int c, int w,
                          const ColumnLoads& cl, __m256 (&acc)[9]) {
  // dy at column c: the lanes of cl.mid, which lie inside the row
  __m256 dprev = _mm256_setzero_ps();                     // dy row j-1
  __m256 dcur = cl.mid.load<kInside>(dy);                 // dy row j
  for (int j = 0; j < count; ++j) {
    const float* row = x + j * step;
    const __m256 dnext = j + 1 < count ? cl.mid.load<kInside>(dy + (j + 1) * step) : _mm256_setzero_ps();
    const __m256 l = cl.left.load<kInside>(row), m = cl.mid.load<kInside>(row), r = cl.right.load<kInside>(row);
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
  // AVX-512: measured 1.5-1.75x faster than the sweep below (batch 64, one thread)
  if (d == 1 && use_avx512()) return avx512::depthwise3x3_correlate(x, w, y, n, c, h, w_in, flip, accumulate);
  const std::vector<ColumnLoads> cols = column_loads(w_in, d);
  const int64_t plane = (int64_t)h * w_in;
  // Work items: one plane, or (pair) the planes of one channel in two consecutive images
  // (img, img + 1), swept together; items in memory order of their first plane. Outputs are
  // disjoint and each output's sum is the same whichever way it is computed.
  // Rows of at most one vector (w <= 8): too few independent FMA chains per plane (measured on
  // Zen 4: pairs 10-30% faster on 7x7 and 8x8, slower on 14x14 and wider, where the two planes'
  // vectors no longer fit the 16 registers).
  const bool pair = w_in <= 8;
  const int pairs = pair ? (n + 1) / 2 : n;
  const int64_t planes = (int64_t)n * c;
  const int64_t grain = std::max<int64_t>(1, 2048 / (plane * (pair ? 2 : 1)));
  parallel_for((int64_t)pairs * c, grain, [&](int64_t begin, int64_t end) {
    __m256 wt[9];
    for (int64_t item = begin; item < end; ++item) {
      const int ch = (int)(item % c), img = (pair ? 2 : 1) * (int)(item / c);
      const float* wc = w + ch * 9;
      for (int t = 0; t < 9; ++t) wt[t] = _mm256_broadcast_ss(wc + (flip ? 8 - t : t));
      const int64_t p = (int64_t)img * c + ch, q = pair ? p + c : p;
      const bool inside = inside_tensor(p, planes, plane, d);
      if (pair && img + 1 < n && inside && inside_tensor(q, planes, plane, d)) {
        correlate_plane<true, 2>({x + p * plane, x + q * plane}, w_in, {y + p * plane, y + q * plane}, h, w_in, d,
                                 cols, wt, accumulate);
        continue;
      }
      for (int64_t r = p; r < planes && r <= q; r += c) {
        if (inside_tensor(r, planes, plane, d))
          correlate_plane<true, 1>({x + r * plane}, w_in, {y + r * plane}, h, w_in, d, cols, wt, accumulate);
        else
          correlate_plane<false, 1>({x + r * plane}, w_in, {y + r * plane}, h, w_in, d, cols, wt, accumulate);
      }
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
      correlate_plane<false, 1>({u}, pitch, {dx + p * out_plane}, h, w_in, d, cols, wt, accumulate);
    }
  });
}

void depthwise3x3_weight_grad(const float* x, const float* dy, float* dw, int n, int c, int h, int w_in,
                              int d, bool accumulate) {
  // AVX-512 (batch 64, one thread) measured 1.05-1.1x faster than the sweep below on rows of 14
  // to 32 columns (rows shifted in registers) and 1.1-1.25x on 8x8 and 7x7 (two planes per vector)
  if (d == 1 && use_avx512()) return avx512::depthwise3x3_weight_grad(x, dy, dw, n, c, h, w_in, accumulate);
  const std::vector<ColumnLoads> cols = column_loads(w_in, d);
  const int64_t plane = (int64_t)h * w_in;
  // 8-lane float sums go to double every `flush` images (about 2k terms per lane)
  const int flush = (int)std::max<int64_t>(1, 16384 / plane);
  // adds plane p's nine tap sums to acc
  auto add_plane = [&](int64_t p, __m256 (&acc)[9]) __attribute__((always_inline)) {
    const bool inside = inside_tensor(p, (int64_t)n * c, plane, d);
    for (int ph = 0; ph < d && ph < h; ++ph) {
      const int count = (h - ph + d - 1) / d;
      const float* xp = x + p * plane + (int64_t)ph * w_in;
      const float* dyp = dy + p * plane + (int64_t)ph * w_in;
      for (size_t v = 0; v < cols.size(); ++v) {
        if (inside) weight_column<true>(xp, dyp, (int64_t)d * w_in, count, (int)v * 8, w_in, cols[v], acc);
        else weight_column<false>(xp, dyp, (int64_t)d * w_in, count, (int)v * 8, w_in, cols[v], acc);
      }
    }
  };
  // Fixed chunks of images, each summing its images in order into per-chunk partials added in
  // chunk order: no thread dependence. Each channel's float sums see its images in order and
  // go to double after the same images whichever loop order below runs, so both give the
  // same bits.
  std::vector<double> total;
  reduce_over_images(n, (size_t)c * 9, total, [&](int begin, int end, double* partial) {
    if (plane <= 64) {
      // Small planes: one channel's images of a flush group back to back, the nine sums in
      // registers throughout (planes C apart: the next one is prefetched, which the hardware
      // prefetcher would not do).
      for (int g0 = begin; g0 < end; g0 += flush) {
        const int g1 = std::min(end, g0 + flush);
        for (int ch = 0; ch < c; ++ch) {
          __m256 acc[9];
          for (int t = 0; t < 9; ++t) acc[t] = _mm256_setzero_ps();
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
          for (int t = 0; t < 9; ++t) partial[ch * 9 + t] += avx2::hsum(acc[t]);
        }
      }
      return;
    }
    // Larger planes in memory order, which the prefetcher follows; sums kept per channel.
    float* part = scratch(0, (size_t)c * 9 * 8);
    std::memset(part, 0, sizeof(float) * c * 9 * 8);
    for (int img = begin; img < end; ++img) {
      for (int ch = 0; ch < c; ++ch) {
        float* pc = part + (size_t)ch * 72;
        __m256 acc[9];
        for (int t = 0; t < 9; ++t) acc[t] = _mm256_load_ps(pc + 8 * t);
        add_plane((int64_t)img * c + ch, acc);
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
