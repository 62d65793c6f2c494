// Stride-2 3x3 pooling of one plane, computing only the outputs (a quarter of the positions).
//
// Output row oh reads input rows 2*oh-1 .. 2*oh+1 and output column ow the columns
// 2*ow-1 .. 2*ow+1. A row goes into an aligned buffer (padding after the last column); two
// aligned loads de-interleaved give the even (centre) and odd (right) columns of 8 windows,
// and the odd columns shifted by one lane, the previous block's last one carried in, the left.
// Results go row after row into a flat scratch plane, whole vectors at a time (a vector that
// runs past the end of a row is overwritten by the next row), and the plane is copied out with
// one tail: maps of 7 or 14 columns are no slower per value than 32.
//
// Max-pool backward: codes of the output windows, then for each input row a gather from the
// one (even row) or two (odd row) output rows that cover it, column pairs (2ow, 2ow+1)
// re-interleaved. Contributions are added in increasing output order, as PyTorch scatters.
#include <algorithm>

#include "pool3x3_planes.h"
#include "pool3x3_rows.h"

namespace pvll::pool {
namespace {

/** Values of a row buffer: the columns and padding up to what the last block reads. */
int64_t row_buffer_length(const PlaneTables& t) { return 2 * round_up(t.wo, kLanes); }

/**
 * b[c] = make(c) for the columns c < w, pad after; written in aligned whole vectors (the last
 * partial one blended with pad in registers) so that the aligned loads that follow are served
 * straight from the store buffer: a load spanning several smaller or shifted stores stalls.
 */
template <class Make>
inline void fill_row(const PlaneTables& t, float* b, float pad, Make&& make) {
  const i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
  const f8 fill_value = splat<f8>(pad);
  const int64_t end = row_buffer_length(t);
  for (int64_t i = 0; i < end; i += kLanes) {
    f8 v = fill_value;
    if (i < t.w) {
      v = make(i);
      if (i + kLanes > t.w) v = lane < splati<f8>(int32_t(t.w - i)) ? v : fill_value;
    }
    store(b + i, v);
  }
}

/**
 * The three columns of the windows of outputs ow .. ow+7 from a row buffer: left = column
 * 2ow+2k-1, centre = 2ow+2k, right = 2ow+2k+1. carry holds the previous block's odd columns
 * (padding before the first block).
 */
inline void window_columns(const float* b, int64_t ow, f8& carry, f8& left, f8& centre, f8& right) {
  const f8 a = ld<f8>(b + 2 * ow), c = ld<f8>(b + 2 * ow + kLanes);
  centre = __builtin_shuffle(a, c, i8{0, 2, 4, 6, 8, 10, 12, 14});
  right = __builtin_shuffle(a, c, i8{1, 3, 5, 7, 9, 11, 13, 15});
  left = __builtin_shuffle(carry, right, i8{7, 8, 9, 10, 11, 12, 13, 14});
  carry = right;
}

/** y = 3x3 max (kMax) or in-bounds mean of the stride-2 windows of one plane. */
template <bool kMax>
void window_plane(const PlaneTables& t, Scratch& s, const float* x, float* y) {
  const int64_t w = t.w, wo = t.wo;
  const float pad = kMax ? -INFINITY : 0.f;
  // Pad rows above and below make rows -1 and h read as padding; whole-vector reads past the
  // end of a row stay inside the copy and are replaced by padding in fill_row.
  const float* xp = padded_copy(s.padded, x, t.hw, w, pad);
  float* b = s.rows;
  float* out = s.plane;
  for (int64_t oh = 0; oh < t.ho; ++oh) {
    const float* mid = xp + 2 * oh * w;
    fill_row(t, b, pad, [&](int64_t i) {
      const f8 up = ld<f8>(mid - w + i), m = ld<f8>(mid + i), down = ld<f8>(mid + w + i);
      return kMax ? max_nan(max_nan(up, m), down) : (up + m) + down;
    });
    f8 carry = splat<f8>(pad), left, centre, right;
    for (int64_t ow = 0; ow < wo; ow += kLanes) {
      window_columns(b, ow, carry, left, centre, right);
      store(out + oh * wo + ow, kMax ? max_nan(max_nan(left, centre), right) : (left + centre) + right);
    }
  }
  if constexpr (kMax) {
    write_plane(y, out, t.ho * wo, false);
  } else {
    const float* inv = t.out_inv_count.data();
    for_lanes(t.ho * wo, [&](int64_t i, auto lane) {
      using V = decltype(lane);
      store(y + i, ld<V>(out + i) * ld<V>(inv + i));
    });
  }
}

/** Codes of the output windows into codes (rows of t.wp, -1 past wo). */
template <bool kNaN>
void codes_plane(const PlaneTables& t, Scratch& s, const float* xp, int32_t* codes) {
  const int64_t w = t.w, rb = row_buffer_length(t);
  float* rows = s.rows;
  const f8 ninf = splat<f8>(-INFINITY);
  for (int64_t oh = 0; oh < t.ho; ++oh) {
    // Row buffers in a ring of three: input row 2oh-1 was row 2(oh-1)+1 of the previous output row.
    float* buf[3];
    for (int kh = 0; kh < 3; ++kh) {
      const int64_t r = 2 * oh - 1 + kh;
      buf[kh] = rows + ((r + 1) % 3) * rb;
      if (oh > 0 && kh == 0) continue;
      fill_row(t, buf[kh], -INFINITY, [&](int64_t i) { return ld<f8>(xp + r * w + i); });
    }
    f8 carry[3] = {ninf, ninf, ninf};
    for (int64_t ow = 0; ow < t.wo; ow += kLanes) {
      Best<f8> rows[3];
      for (int kh = 0; kh < 3; ++kh) {
        f8 v[3];
        window_columns(buf[kh], ow, carry[kh], v[0], v[1], v[2]);
        rows[kh] = row_best<kNaN>(v[0], v[1], v[2], kh, ldi<f8>(t.out_first_code.data() + oh * t.wp + ow));
      }
      i8 code = window_best<kNaN>(rows).code;
      // Codes past wo are -1, set in registers: the gather reads whole aligned blocks.
      const i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
      code = lane < splati<f8>(int32_t(t.wo - ow)) ? code : splati<f8>(-1);
      storei(codes + oh * t.wp + ow, code);
    }
    storei(codes + oh * t.wp + round_up(t.wo, kLanes), splati<f8>(-1));  // wp = round_up(wo, 8) + 8
  }
}

}  // namespace

void max_forward_s2(const PlaneTables& t, Scratch& s, const float* x, float* y) { window_plane<true>(t, s, x, y); }

void avg_forward_s2(const PlaneTables& t, Scratch& s, const float* x, float* y) { window_plane<false>(t, s, x, y); }

namespace {

/**
 * dy of one plane where whole vectors may be read past its end: dy itself (old data, read at
 * any offset without waiting on stores), or for the tensor's last plane a padded copy.
 */
const float* readable_grads(const PlaneTables& t, Scratch& s, const float* dy, const float* dy_end) {
  const int64_t n = t.ho * t.wo, reach = n + round_up(t.wo, kLanes) + kLanes;
  if (dy + reach <= dy_end) return dy;
  for_lanes(n, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(s.grads + i, ld<V>(dy + i));
  });
  fill(s.grads + n, reach - n, 0.f);
  return s.grads;
}

/** Mask of the lanes of block ow (shifted by shift columns) that are outputs. */
inline i8 in_row(const PlaneTables& t, int64_t ow, int64_t shift) {
  return i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(int32_t(t.wo - ow - shift));
}

}  // namespace

void avg_backward_s2(const PlaneTables& t, Scratch& s, const float* dy, const float* dy_end, float* dx,
                     bool accumulate) {
  const int64_t w = t.w, wo = t.wo;
  const float* g = readable_grads(t, s, dy, dy_end);
  const float* inv = t.out_inv_count.data();
  const f8 zero = splat<f8>(0.f);
  float* out = s.plane;
  for (int64_t i = 0; i < t.h; ++i) {
    const int64_t first = i / 2;                            // the output row centred on or above row i
    const int64_t last = std::min<int64_t>(t.ho - 1, first + (i % 2));  // odd rows: the next one too
    for (int64_t ow = 0; ow < wo; ow += kLanes) {
      f8 here = zero, next = zero;  // dy / count of windows ow+k and ow+k+1
      for (int64_t oh = first; oh <= last; ++oh) {
        const int64_t at = oh * wo + ow;
        here += in_row(t, ow, 0) ? ld<f8>(g + at) * ld<f8>(inv + at) : zero;
        next += in_row(t, ow, 1) ? ld<f8>(g + at + 1) * ld<f8>(inv + at + 1) : zero;
      }
      interleave(out + i * w + 2 * ow, here, here + next);  // column 2ow: one window; 2ow+1: two
    }
  }
  write_plane(dx, out, t.hw, accumulate);
}

void max_backward_s2(const PlaneTables& t, Scratch& s, const float* x, const float* dy, const float* dy_end, float* dx,
                     bool accumulate) {
  const int64_t w = t.w, wo = t.wo, wp = t.wp;
  const float* xp = padded_copy(s.padded, x, t.hw, w, -INFINITY);
  int32_t* codes = s.codes;
  if (has_nan(xp, t.hw)) {
    codes_plane<true>(t, s, xp, codes);
  } else {
    codes_plane<false>(t, s, xp, codes);
  }
  // Codes past wo are -1, so the gradient lanes there (other rows' values) are never taken.
  const float* g = readable_grads(t, s, dy, dy_end);
  float* out = s.plane;
  const f8 zero = splat<f8>(0.f);
  for (int64_t i = 0; i < t.h; ++i) {
    // (output row, kh) pairs covering input row i, in increasing output order.
    const int64_t first = (i + 1) / 2 - (i % 2 == 1 ? 1 : 0);
    const int64_t last = std::min<int64_t>(t.ho - 1, first + (i % 2 == 1 ? 1 : 0));
    for (int64_t ow = 0; ow < wo; ow += kLanes) {
      f8 even = zero, odd = zero;  // columns 2ow and 2ow+1
      for (int64_t oh = first; oh <= last; ++oh) {
        const int kh = int(i - 2 * oh + 1);
        const int32_t* c = codes + oh * wp + ow;
        const i8 c0 = ldi<f8>(c), c1 = shift_in(c0, ldi<f8>(c + kLanes));  // aligned loads: no store wait
        const f8 g0 = ld<f8>(g + oh * wo + ow), g1 = ld<f8>(g + oh * wo + ow + 1);
        even += c0 == splati<f8>(3 * kh + 1) ? g0 : zero;
        odd += c0 == splati<f8>(3 * kh + 2) ? g0 : zero;
        odd += c1 == splati<f8>(3 * kh + 0) ? g1 : zero;
      }
      interleave(out + i * w + 2 * ow, even, odd);
    }
  }
  write_plane(dx, out, t.hw, accumulate);
}

}  // namespace pvll::pool
