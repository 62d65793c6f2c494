// Depthwise convolution (groups = channels, "same" padding pad = dilation*(k-1)/2), direct:
// the passes and the C entry points. Which kernel runs:
//   3x3, stride 1          depthwise3x3.cpp: rows swept straight from the planes, weights in
//                          registers (forward, input gradient, weight gradient).
//   5x5, stride 1          with AVX-512 (use_avx512()), depthwise5x5_avx512.cpp: rows swept
//                          straight from the planes (rows of at least 5 columns); else row
//                          reuse (depthwise_blocks.h): 8-row blocks one kernel column at a
//                          time, each input row loaded once per column.
//   3x3/5x5 stride 2       forward with AVX-512, depthwise_stride2_avx512.cpp (input rows of at
//                          most 32 columns): taps gathered from the rows by lane permutes.
//   3x3 stride 2 dil. 1    with AVX-512 (input rows of at most 32 columns), the input gradient
//                          by output phase and the weight gradient, depthwise_stride2_avx512.cpp.
//   anything else          the general tap-list kernel (depthwise_blocks.h).
// The general and row-reuse kernels read a zero-padded scratch copy of each plane whose columns
// are split by phase (column mod stride), so that every tap of a strided or dilated window reads
// contiguous memory (depthwise_plane.h). The passes:
//   forward                taps (ky, kx) on the padded input, output rows step `stride` rows.
//   input grad             the stride-1 correlation with the kernel flipped of the padded output
//                          gradient, upsampled with zeros at stride 2.
//   weight grad            per tap a dot product of dy with the shifted input, 8-lane partials
//                          flushed to double.
// Planes of at most 8 rows are computed in batches of one channel (several images), so that
// register blocks span planes. Forward and input gradient split planes over threads freely
// (disjoint outputs); the weight gradient sums fixed chunks of images into per-chunk partials
// added in chunk order (conv_common.h), so it does not depend on the thread count either.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_common.h"
#include "conv_shape.h"
#include "cpu_features.h"
#include "depthwise3x3.h"
#include "depthwise5x5_avx512.h"
#include "depthwise_stride2_avx512.h"
#include "depthwise_blocks.h"
#include "parallel.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "avx2.h"
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
// upsample: src planes are dy of a stride-2 conv, filled in upsampled with zeros.
void correlate_planes(const Depthwise& g, const float* src, int64_t src_plane, const PlaneLayout& L,
                      int64_t in_step, const Taps& base, const float* w, bool flip, float* dst,
                      int out_h, int out_w, bool accumulate, bool upsample = false) {
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
        if (upsample) fill_upsampled(src + plane * src_plane, g.oh, g.ow, L, b);
        else fill_plane(src + plane * src_plane, L, b);
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

// The input gradient is the stride-1 correlation, kernel flipped, of dy (stride 1) or of dy
// upsampled with zeros (stride 2: dy[i][j] at row 2i, column 2j), with the same padding. At
// stride 2 that multiplies zeros 3 times in 4, but runs on the stride-1 kernels (row reuse) with
// no per-phase passes; see also depthwise3x3_input_grad_stride2.
void backward_input(const Depthwise& g, const float* dy, const float* w, float* dx, bool accumulate) {
  const bool upsample = g.stride == 2;
  const PlaneLayout L =
      make_layout(g.h, g.w, g.h + g.span(), 1, upsample ? 2 * round8(g.ow) : g.w, g.pad, g.pad, g.pad);
  // taps in forward order (ky, kx); their weights reversed = w[k-1-ky][k-1-kx]
  Taps base;
  for (int ky = 0; ky < g.k; ++ky)
    for (int kx = 0; kx < g.k; ++kx)
      base.add(ky * g.dilation * L.pitch + L.column_offset(kx * g.dilation - g.pad), ky * g.k + kx);
  correlate_planes(g, dy, g.out_plane(), L, L.pitch, base, w, true, dx, g.h, g.w, accumulate, upsample);
}

void backward_weight(const Depthwise& g, const float* x, const float* dy, float* dw, bool accumulate) {
  const PlaneLayout L = g.input_layout();
  const Taps taps = g.forward_taps(L);
  const int kk = g.k * g.k;
  const bool reuse = g.stride == 1 && has_reuse_kernel(g.k, g.dilation);
  int column_offset[15];
  for (int kx = 0; kx < g.k; ++kx) column_offset[kx] = L.column_offset(kx * g.dilation - g.pad);
  // 8-lane float partials go to double every `flush` images (about 2k terms per lane).
  const int flush = (int)std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.out_plane()));
  // Fixed chunks of images, each summing its planes in memory order into per-chunk partials that
  // are added in chunk order: the result does not depend on the thread count.
  std::vector<double> total;
  reduce_over_images(g.n, (size_t)g.c * kk, total, [&](int begin, int end, double* partial) {
    float* buf = scratch(0, L.size());
    float* part = scratch(1, (size_t)g.c * kk * 8);
    std::memset(buf, 0, sizeof(float) * L.size());
    std::memset(part, 0, sizeof(float) * g.c * kk * 8);
    for (int img = begin; img < end; ++img) {
      for (int ch = 0; ch < g.c; ++ch) {
        const int64_t p = (int64_t)img * g.c + ch;
        float* pc = part + (size_t)ch * kk * 8;
        fill_plane(x + p * g.in_plane(), L, buf);
        if (reuse && g.dilation == 1) {
          reuse_weight_plane<5, 1>(buf, L.pitch, column_offset, dy + p * g.out_plane(), g.oh, g.ow, pc);
        } else if (reuse) {
          reuse_weight_plane<5, 2>(buf, L.pitch, column_offset, dy + p * g.out_plane(), g.oh, g.ow, pc);
        } else {
          for (int t0 = 0; t0 < kk; t0 += 9)
            weight_tap_group(std::min(9, kk - t0), buf, (int64_t)g.stride * L.pitch, taps.offset + t0,
                             dy + p * g.out_plane(), g.oh, g.ow, pc + 8 * t0);
        }
      }
      if ((img - begin + 1) % flush == 0 || img + 1 == end) {
        for (int i = 0; i < g.c * kk; ++i) {
          partial[i] += avx2::hsum(_mm256_load_ps(part + 8 * i));
          _mm256_store_ps(part + 8 * i, _mm256_setzero_ps());
        }
      }
    }
  });
  write_sum(dw, total.data(), (size_t)g.c * kk, accumulate);
}

// The AVX-512 5x5 sweep (stride 1, dilation 1 or 2; rows of at least 5 columns, which fill at
// least 10 of the 16 lanes, or 2 x 5 in a pair of planes).
bool avx512_5x5(int k, int stride, int dilation, int w) {
  return k == 5 && stride == 1 && dilation <= 2 && w >= 5 && use_avx512();
}

// The AVX-512 stride-2 forward (3x3 or 5x5, dilation 1 or 2, input rows of at most 32 columns).
bool avx512_stride2(int k, int stride, int dilation, int w) {
  return (k == 3 || k == 5) && stride == 2 && dilation <= 2 && w <= 32 && use_avx512();
}

// The AVX-512 stride-2 3x3 gradients at dilation 1 (input rows of at most 32 columns): the input
// gradient by output phase straight from dy, the weight gradient by the forward's lane permutes.
bool avx512_3x3_stride2(int k, int stride, int dilation, int w) {
  return k == 3 && stride == 2 && dilation == 1 && w <= 32 && use_avx512();
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
    else if (pvll::depthwise::avx512_5x5(k, stride, dilation, w_in))
      pvll::avx512::depthwise5x5_correlate(x, w, y, n, c, h, w_in, dilation, false, false);
    else if (pvll::depthwise::avx512_stride2(k, stride, dilation, w_in))
      pvll::avx512::depthwise_forward_stride2(x, w, y, n, c, h, w_in, k, dilation);
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
    else if (pvll::depthwise::avx512_3x3_stride2(k, stride, dilation, w_in))
      pvll::avx512::depthwise3x3_input_grad_stride2(dy, w, dx, n, c, h, w_in, accumulate != 0);
    else if (k == 3) pvll::depthwise3x3_input_grad_stride2(dy, w, dx, n, c, h, w_in, dilation, accumulate != 0);
    else if (pvll::depthwise::avx512_5x5(k, stride, dilation, w_in))
      pvll::avx512::depthwise5x5_correlate(dy, w, dx, n, c, h, w_in, dilation, true, accumulate != 0);
    else pvll::depthwise::backward_input(g, dy, w, dx, accumulate != 0);
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
    else if (pvll::depthwise::avx512_3x3_stride2(k, stride, dilation, w_in))
      pvll::avx512::depthwise3x3_weight_grad_stride2(x, dy, dw, n, c, h, w_in, accumulate != 0);
    else pvll::depthwise::backward_weight(pvll::depthwise::Depthwise(n, c, h, w_in, k, stride, dilation), x, dy, dw, accumulate != 0);
  })
  return PVLL_OK;
}
