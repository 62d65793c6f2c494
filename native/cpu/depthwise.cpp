// Depthwise convolution (groups = channels, "same" padding pad = dilation*(k-1)/2), direct:
// the passes and the C entry points. Which kernel runs:
//   3x3, stride 1          depthwise3x3.cpp: rows swept straight from the planes, weights in
//                          registers (forward, input gradient, weight gradient).
//   5x5, stride 1          row reuse (depthwise_blocks.h): 8-row blocks one kernel column at a
//                          time, each input row loaded once per column.
//   anything else          the general tap-list kernel (depthwise_blocks.h).
// The general and row-reuse kernels read a zero-padded scratch copy of each plane whose columns
// are split by phase (column mod stride), so that every tap of a strided or dilated window reads
// contiguous memory (depthwise_plane.h). The passes:
//   forward                taps (ky, kx) on the padded input, output rows step `stride` rows.
//   input grad, stride 1   the same with the kernel flipped, on the padded output gradient.
//   input grad, stride 2   input positions of one row parity and one column parity (4 phases)
//                          each see a fixed subset of taps at contiguous offsets in the padded
//                          output gradient; the two column phases are interleaved afterwards.
//   weight grad            per tap a dot product of dy with the shifted input, per channel over
//                          all images in order (deterministic), 8-lane partials flushed to double.
// Planes of at most 8 rows are computed in batches of one channel (several images), so that
// register blocks span planes. Forward and input gradient split planes over threads freely
// (disjoint outputs); the weight gradient gives each thread whole channels.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_shape.h"
#include "depthwise3x3.h"
#include "depthwise_blocks.h"
#include "parallel.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "simd.h"
#include "status.h"

namespace pvll {
namespace depthwise {
namespace {
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
}  // namespace depthwise
}  // namespace pvll

PVLL_API int pvll_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h,
                                    int w_in, int k, int stride, int dilation) {
  const char* name = "pvll_depthwise_forward";
  if (int st = pvll::depthwise::check(name, n, c, h, w_in, k, stride, dilation, x, w, y)) return st;
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_correlate(x, w, y, n, c, h, w_in, dilation, false, false);
    else pvll::depthwise::forward(pvll::depthwise::Depthwise(n, c, h, w_in, k, stride, dilation), x, w, y);
  })
  return PVLL_OK;
}

PVLL_API int pvll_depthwise_backward_input(const float* dy, const float* w, float* dx, int n, int c,
                                           int h, int w_in, int k, int stride, int dilation,
                                           int accumulate) {
  const char* name = "pvll_depthwise_backward_input";
  if (int st = pvll::depthwise::check(name, n, c, h, w_in, k, stride, dilation, dy, w, dx)) return st;
  const pvll::depthwise::Depthwise g(n, c, h, w_in, k, stride, dilation);
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_correlate(dy, w, dx, n, c, h, w_in, dilation, true, accumulate != 0);
    else if (stride == 1) pvll::depthwise::backward_input_stride1(g, dy, w, dx, accumulate != 0);
    else pvll::depthwise::backward_input_stride2(g, dy, w, dx, accumulate != 0);
  })
  return PVLL_OK;
}

PVLL_API int pvll_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n, int c,
                                            int h, int w_in, int k, int stride, int dilation,
                                            int accumulate) {
  const char* name = "pvll_depthwise_backward_weight";
  if (int st = pvll::depthwise::check(name, n, c, h, w_in, k, stride, dilation, x, dy, dw)) return st;
  PVLL_GUARD(name, {
    if (k == 3 && stride == 1) pvll::depthwise3x3_weight_grad(x, dy, dw, n, c, h, w_in, dilation, accumulate != 0);
    else pvll::depthwise::backward_weight(pvll::depthwise::Depthwise(n, c, h, w_in, k, stride, dilation), x, dy, dw, accumulate != 0);
  })
  return PVLL_OK;
}
