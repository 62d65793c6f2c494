// 3x3 pooling of narrow planes, stride 2 (7 to 16 columns: the 8x8, 7x7, 16x16 and 14x14 maps of
// the search): forward and average-pool backward with whole rows in registers, planes one after
// another with no padded copies, row buffers or scratch planes (pool3x3_stride2.cpp pays those
// per plane, as much as the pooling of a 7x7 plane itself). The max-pool backward of such planes
// is in pool3x3_narrow_max_backward.cpp.
//
// A row of w <= 8 columns is one vector, of w <= 16 two (columns past w replaced by padding in
// registers). Forward: output row oh is the vertical max (or sum) of rows 2oh-1, 2oh, 2oh+1, then
// the horizontal one of columns 2ow-1, 2ow, 2ow+1 from the even and odd lanes; with one vector per
// row, two output rows of 4 share a vector. Backward: average (planes of up to 16 rows) from dy /
// count, as sums per input row of even and odd columns. Same sums in the same order as
// pool3x3_stride2.cpp.
#include <algorithm>

#include "pool3x3_planes.h"
#include "pool3x3_rows.h"

namespace pvll::pool {
namespace {

constexpr int64_t kMaxRows = 16;  // rows of a plane the average-pool backward holds in registers

template <bool kMax>
inline f8 combine(f8 a, f8 b) {
  return kMax ? max_nan(a, b) : a + b;
}

/** Vertical max / sum of three rows, in the order of window_plane. */
template <bool kMax>
inline f8 vertical(f8 up, f8 mid, f8 down) {
  return combine<kMax>(combine<kMax>(up, mid), down);
}

/** Horizontal: out lane k from columns 2k-1, 2k, 2k+1 of the 16 columns (a, b); left_mask puts
 *  padding where a window's left column is outside (lane 0, and lane 4 for paired rows). */
template <bool kMax>
inline f8 horizontal(f8 a, f8 b, f8 pad, i8 left_mask) {
  const f8 centre = __builtin_shuffle(a, b, i8{0, 2, 4, 6, 8, 10, 12, 14});
  const f8 right = __builtin_shuffle(a, b, i8{1, 3, 5, 7, 9, 11, 13, 15});
  const f8 left = __builtin_shuffle(right, pad, left_mask);
  return combine<kMax>(combine<kMax>(left, centre), right);
}

// rows of up to 8 columns (7 or 8: 4 outputs per row), two output rows per vector
template <bool kMax>
void planes_one_vector(const PlaneTables& t, const float* x, const float* x_end, float* y, int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w, ho = t.ho;
  const f8 pad = splat<f8>(kMax ? -INFINITY : 0.f);
  const i8 left_mask = {8, 0, 1, 2, 8, 4, 5, 6};
  const float* inv = t.out_inv_count.data();
  for (int64_t p = p0; p < p1; ++p) {
    const float* xp = x + p * t.hw;
    float* yp = y + p * ho * 4;
    auto row = [&](int64_t r) {
      const float* at = xp + r * w;
      return r < 0 || r >= h ? pad : load_row_part(at, w, pad, at + kLanes <= x_end);
    };
    f8 prev_down = pad;  // row 2oh - 1
    for (int64_t oh = 0; oh < ho; oh += 2) {
      const f8 mid_a = row(2 * oh), down_a = row(2 * oh + 1);
      const f8 va = vertical<kMax>(prev_down, mid_a, down_a);
      f8 vb = pad;
      if (oh + 1 < ho) {
        const f8 mid_b = row(2 * oh + 2), down_b = row(2 * oh + 3);
        vb = vertical<kMax>(down_a, mid_b, down_b);
        prev_down = down_b;
      }
      f8 out = horizontal<kMax>(va, vb, pad, left_mask);
      if constexpr (!kMax) out = out * ld<f8>(inv + oh * 4);
      if (oh + 1 < ho) {
        store(yp + oh * 4, out);
      } else {
        for (int k = 0; k < 4; ++k) yp[oh * 4 + k] = out[k];
      }
    }
  }
}

// rows of 9 to 16 columns (5 to 8 outputs per row), one output row per vector
template <bool kMax>
void planes_two_vectors(const PlaneTables& t, const float* x, const float* x_end, float* y, int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w, ho = t.ho, wo = t.wo;
  const f8 pad = splat<f8>(kMax ? -INFINITY : 0.f);
  const i8 left_mask = {8, 0, 1, 2, 3, 4, 5, 6};
  const float* inv = t.out_inv_count.data();
  struct Row {
    f8 a, b;
  };
  for (int64_t p = p0; p < p1; ++p) {
    const float* xp = x + p * t.hw;
    float* yp = y + p * ho * wo;
    auto row = [&](int64_t r) {
      if (r < 0 || r >= h) return Row{pad, pad};
      const float* at = xp + r * w;
      return Row{ld<f8>(at), load_row_part(at + kLanes, w - kLanes, pad, at + 2 * kLanes <= x_end)};
    };
    Row up = {pad, pad};
    for (int64_t oh = 0; oh < ho; ++oh) {
      const Row mid = row(2 * oh), down = row(2 * oh + 1);
      const f8 a = vertical<kMax>(up.a, mid.a, down.a), b = vertical<kMax>(up.b, mid.b, down.b);
      up = down;
      f8 out = horizontal<kMax>(a, b, pad, left_mask);
      if constexpr (!kMax) out = out * ld<f8>(inv + oh * wo);
      // a whole vector spills into the next row, which overwrites it; the plane's last row does not
      if (oh + 1 < ho || wo == kLanes) {
        store(yp + oh * wo, out);
      } else {
        for (int64_t k = 0; k < wo; ++k) yp[oh * wo + k] = out[k];
      }
    }
  }
}

// Average-pool backward of planes 7 or 8 columns wide: dy rows k and k+1 (4 windows each) are 8
// consecutive values, one load, and feed dx rows 2k and 2k+1, side by side in one vector (each dy
// row is loaded twice, by two pairs: cheaper than moving it between them).
void avg_backward_one_vector(const PlaneTables& t, const float* dy, const float* dy_end, float* dx,
                             bool accumulate, int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w, ho = t.ho;
  const f8 zero = splat<f8>(0.f);
  const float* inv = t.out_inv_count.data();
  const i8 both = {0, 1, 2, 3, 0, 1, 2, 3}, upper = {0, 0, 0, 0, 12, 13, 14, 15};
  const i8 lo = {0, 8, 1, 9, 2, 10, 3, 11}, hi = {4, 12, 5, 13, 6, 14, 7, 15};
  for (int64_t p = p0; p < p1; ++p) {
    const float* g_plane = dy + p * ho * 4;
    float* dxp = dx + p * t.hw;
    for (int64_t k = 0, r = 0; r < h; ++k, r += 2) {
      const bool below = k + 1 < ho;  // row 2k+1 also lies in the windows of output row k+1
      const float* gp = g_plane + 4 * k;
      const f8 q = load_row_part(gp, below ? 8 : 4, zero, gp + kLanes <= dy_end) * ld<f8>(inv + 4 * k);
      const f8 q_next = __builtin_shuffle(q, zero, i8{1, 2, 3, 8, 5, 6, 7, 8});  // window ow+1, 0 past wo
      // lanes 0-3: row 2k (window row oh = k only); 4-7: row 2k+1 (output rows k, then k+1)
      const f8 here = __builtin_shuffle(q, both) + __builtin_shuffle(zero, q, upper);
      const f8 next = __builtin_shuffle(q_next, both) + __builtin_shuffle(zero, q_next, upper);
      const f8 odd = here + next;
      put_row_part(dxp + r * w, __builtin_shuffle(here, odd, lo), w, accumulate, r + 1 < h || w >= kLanes);
      if (r + 1 < h)
        put_row_part(dxp + (r + 1) * w, __builtin_shuffle(here, odd, hi), w, accumulate, r + 2 < h || w >= kLanes);
    }
  }
}

// Average-pool backward with rows in registers: q[oh] = dy / count of the windows of output
// row oh (zero past wo), then input row r sums the one or two output rows that cover it: column
// 2ow gets window ow, column 2ow+1 windows ow and ow+1. The sums of avg_backward_s2, in its order.
template <int NV>
void avg_backward_planes(const PlaneTables& t, const float* dy, const float* dy_end, float* dx, bool accumulate,
                         int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w, ho = t.ho, wo = t.wo;
  const f8 zero = splat<f8>(0.f);
  const i8 out_lanes = i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(int32_t(wo));
  const float* inv = t.out_inv_count.data();
  f8 q[kMaxRows], q_next[kMaxRows];
  if constexpr (NV == 1) {
    avg_backward_one_vector(t, dy, dy_end, dx, accumulate, p0, p1);
    return;
  }
  for (int64_t p = p0; p < p1; ++p) {
    const float* g_plane = dy + p * ho * wo;
    float* dxp = dx + p * t.hw;
    for (int64_t oh = 0; oh < ho; ++oh) {
      const float* gp = g_plane + oh * wo;
      const f8 g = load_row_part(gp, wo, zero, gp + kLanes <= dy_end);
      q[oh] = out_lanes ? g * ld<f8>(inv + oh * wo) : zero;
      q_next[oh] = shift_in(q[oh], zero);
    }
    for (int64_t r = 0; r < h; ++r) {
      const int64_t first = r / 2, last = std::min<int64_t>(ho - 1, first + (r % 2));
      f8 here = zero, next = zero;
      for (int64_t oh = first; oh <= last; ++oh) {
        here += q[oh];
        next += q_next[oh];
      }
      const f8 odd = here + next;
      const bool spill = r + 1 < h;
      put_row_part(dxp + r * w, __builtin_shuffle(here, odd, i8{0, 8, 1, 9, 2, 10, 3, 11}), w, accumulate,
                   spill || w >= kLanes);
      if constexpr (NV > 1)
        put_row_part(dxp + r * w + kLanes, __builtin_shuffle(here, odd, i8{4, 12, 5, 13, 6, 14, 7, 15}), w - kLanes,
                     accumulate, spill);
    }
  }
}

}  // namespace

bool narrow_s2(int64_t w) { return w >= 7 && w <= 16; }

void narrow_avg_backward_s2(const PlaneTables& t, const float* dy, float* dx, bool accumulate, int64_t planes,
                            int64_t p0, int64_t p1) {
  const float* dy_end = dy + planes * t.ho * t.wo;
  if (t.w <= kLanes) avg_backward_planes<1>(t, dy, dy_end, dx, accumulate, p0, p1);
  else avg_backward_planes<2>(t, dy, dy_end, dx, accumulate, p0, p1);
}

bool narrow_backward_s2(int64_t h, int64_t w) { return narrow_s2(w) && h <= kMaxRows; }

void narrow_forward_s2(bool max, const PlaneTables& t, const float* x, float* y, int64_t planes, int64_t p0,
                       int64_t p1) {
  const float* x_end = x + planes * t.hw;
  if (t.w <= kLanes) {
    if (max) planes_one_vector<true>(t, x, x_end, y, p0, p1);
    else planes_one_vector<false>(t, x, x_end, y, p0, p1);
  } else {
    if (max) planes_two_vectors<true>(t, x, x_end, y, p0, p1);
    else planes_two_vectors<false>(t, x, x_end, y, p0, p1);
  }
}

}  // namespace pvll::pool
