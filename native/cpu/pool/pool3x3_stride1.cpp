// Stride-1 3x3 pooling of one plane. The plane is worked as one flat array of h*w values, so
// the vector loops have one tail per plane instead of one per row (7x7 and 14x14 maps would be
// mostly tail otherwise): window neighbours sit at offsets +-1 and +-w; the rows above and
// below come from a padded copy, and the column wrap-around of the +-1 neighbours is masked
// with the shape tables.
//
// Max-pool backward: first the argmax code of every window, then a gather: dx[i] sums dy[o]
// over the outputs o whose code points at i. A padding position is never an argmax, so a
// gather across a row wrap finds no matching code and needs no mask. The gather visits the
// outputs in increasing order, the order in which PyTorch scatters, so the sums round alike.
#include "pool3x3_planes.h"

namespace pvll::pool {
namespace {

/** out = 3x3 max (max) or in-bounds sum times scale (sum) of one plane; scale may be null. */
template <bool kMax>
void window_plane(const PlaneTables& t, Scratch& s, const float* x, const float* scale, float* out) {
  const int64_t w = t.w, hw = t.hw;
  const float pad = kMax ? -INFINITY : 0.f;
  const float* xp = padded_copy(s.padded, x, hw, w, pad);
  float* v = s.rows + kLanes;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V up = ld<V>(xp + i - w), mid = ld<V>(xp + i), down = ld<V>(xp + i + w);
    store(v + i, kMax ? max_nan(max_nan(up, mid), down) : (up + mid) + down);
  });
  const int32_t *lok = t.left_ok.data(), *rok = t.right_ok.data();
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V fill = splat<V>(pad);
    const auto zero = splati<V>(0);
    const V left = ldi<V>(lok + i) < zero ? ld<V>(v + i - 1) : fill;  // sign test: one blend
    const V right = ldi<V>(rok + i) < zero ? ld<V>(v + i + 1) : fill;
    if constexpr (kMax) {
      store(out + i, max_nan(max_nan(left, ld<V>(v + i)), right));
    } else {
      const V sum = (left + ld<V>(v + i)) + right;
      store(out + i, scale ? sum * ld<V>(scale + i) : sum);
    }
  });
}

/** Argmax codes of the windows of a padded plane; NaN handling compiled in only when needed. */
template <bool kNaN>
void codes_plane(const PlaneTables& t, const float* xp, int32_t* codes) {
  const int64_t w = t.w;
  const int32_t *lok = t.left_ok.data(), *rok = t.right_ok.data(), *first = t.first_code.data();
  for_lanes(t.hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V ninf = splat<V>(-INFINITY);
    const auto zero = splati<V>(0);
    const auto l = ldi<V>(lok + i) < zero, r = ldi<V>(rok + i) < zero;
    Best<V> rows[3];
    for (int kh = 0; kh < 3; ++kh) {
      const float* at = xp + i + (kh - 1) * w;
      const V left = l ? ld<V>(at - 1) : ninf, right = r ? ld<V>(at + 1) : ninf;
      rows[kh] = row_best<kNaN>(left, ld<V>(at), right, kh, ldi<V>(first + i));
    }
    const auto code = window_best<kNaN>(rows).code;
    storei(codes + i, code);
  });
}

}  // namespace

void max_forward_s1(const PlaneTables& t, Scratch& s, const float* x, float* y) {
  window_plane<true>(t, s, x, nullptr, y);
}

void avg_forward_s1(const PlaneTables& t, Scratch& s, const float* x, float* y) {
  window_plane<false>(t, s, x, t.inv_count.data(), y);
}

void avg_backward_s1(const PlaneTables& t, Scratch& s, const float* dy, float* dx, bool accumulate) {
  // dx = in-bounds window sum of dy / count: the 3x3 window is symmetric.
  float* scaled = s.plane;
  const float* inv = t.inv_count.data();
  for_lanes(t.hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(scaled + i, ld<V>(dy + i) * ld<V>(inv + i));
  });
  if (!accumulate) {
    window_plane<false>(t, s, scaled, nullptr, dx);
  } else {
    window_plane<false>(t, s, scaled, nullptr, s.sums);
    write_plane(dx, s.sums, t.hw, true);
  }
}

namespace {

/** dx (+)= the dy of the outputs whose code points at each position (gather, see the top). */
template <bool kAccumulate>
void gather_plane(const PlaneTables& t, const int32_t* codes, const float* grads, float* dx) {
  const int64_t w = t.w;
  for_lanes(t.hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    V acc = splat<V>(0.f);
    // k = 8 .. 0 visits the outputs o = i + (1 - kh) * w + (1 - kw) in increasing order.
    for (int k = 8; k >= 0; --k) {
      const int64_t o = i + (1 - k / 3) * w + (1 - k % 3);
      acc += ldi<V>(codes + o) == splati<V>(k) ? ld<V>(grads + o) : splat<V>(0.f);
    }
    store(dx + i, kAccumulate ? ld<V>(dx + i) + acc : acc);
  });
}

}  // namespace

void max_backward_s1(const PlaneTables& t, Scratch& s, const float* x, const float* dy, const float* dy_begin,
                     const float* dy_end, float* dx, bool accumulate) {
  const int64_t w = t.w, hw = t.hw, pad = plane_pad(w);
  const float* xp = padded_copy(s.padded, x, hw, w, -INFINITY);
  int32_t* codes = s.codes + pad;
  fill(codes - pad, pad, -1);
  fill(codes + hw, pad + kSlack, -1);
  if (has_nan(xp, hw)) {
    codes_plane<true>(t, xp, codes);
  } else {
    codes_plane<false>(t, xp, codes);
  }
  // The gather reads dy a row and a vector either side of the plane, where the codes are -1 (what
  // it reads there is never taken): dy itself, but for the tensor's first and last planes a copy.
  const bool inside = dy - (w + 1) >= dy_begin && dy + hw + w + 1 + kLanes <= dy_end;
  const float* grads = inside ? dy : padded_copy(s.grads, dy, hw, w, 0.f);
  if (accumulate) gather_plane<true>(t, codes, grads, dx);
  else gather_plane<false>(t, codes, grads, dx);
}

}  // namespace pvll::pool
