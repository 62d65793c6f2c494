// Max-pool 3x3 backward of narrow planes with rows in registers: stride 2 on planes of 7 to 32
// columns (any height: the 7x7 to 32x32 maps of the search), stride 1 on planes of at most 8
// columns (the 8x8 and 7x7 maps). Same results, in the same addition order, as the per-plane
// kernels of pool3x3_stride2.cpp and pool3x3_stride1.cpp.
#include <algorithm>
#include <type_traits>

#include "pool3x3_planes.h"
#include "pool3x3_rows.h"

namespace pvll::pool {
namespace {

// Max-pool backward with rows in registers: codes of the windows of an output row (first maximum,
// the last NaN if any, as codes_plane), then each of the three input rows of the windows gets dy
// of the windows whose maximum it holds, as even (centre) and odd (right, and the next window's
// left) columns, written out as soon as no later output row reaches it. Contributions are added
// in increasing output order (PyTorch's scatter order), as max_backward_s2 does. Planes are taken
// in groups checked for NaN first: without one, each compare is one instruction instead of three.

/** The dy of 8 windows through window row kh: to their centre (even) column, their right column
 *  (right) and the next window's left column (left), all three at the even / odd columns' lanes. */
struct RowShare {
  f8 even, right, left;
};

inline RowShare share(i8 code, i8 code_next, f8 g, f8 g_next, int kh) {
  const f8 zero = splat<f8>(0.f);
  return {code == splati<f8>(3 * kh + 1) ? g : zero, code == splati<f8>(3 * kh + 2) ? g : zero,
          code_next == splati<f8>(3 * kh) ? g_next : zero};
}

template <int NV, bool kNaN>
void max_backward_planes(const PlaneTables& t, const float* x, const float* x_end, const float* dy,
                         const float* dy_end, float* dx, bool accumulate, int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w, ho = t.ho, wo = t.wo;
  const f8 ninf = splat<f8>(-INFINITY), zero = splat<f8>(0.f);
  const i8 none = splati<f8>(-1);
  const i8 lo = {0, 8, 1, 9, 2, 10, 3, 11}, hi = {4, 12, 5, 13, 6, 14, 7, 15};
  for (int64_t p = p0; p < p1; ++p) {
    const float* xp = x + p * t.hw;
    const float* g_plane = dy + p * ho * wo;
    float* dxp = dx + p * t.hw;
    auto row_part = [&](int64_t r, int part) {
      if (r < 0 || r >= h) return ninf;
      const float* at = xp + r * w + part * kLanes;
      return load_row_part(at, w - part * kLanes, ninf, at + kLanes <= x_end);
    };
    // rows go out in increasing order: a whole-vector store spills into the next row, written after
    auto put = [&](int64_t r, int part, f8 v) {
      if (r < 0 || r >= h || part * kLanes >= w) return;
      const bool spill = r + 1 < h;  // the plane's last row stops at its end
      put_row_part(dxp + r * w + part * kLanes, v, w - part * kLanes, accumulate, spill || (NV == 1 && w >= kLanes));
    };
    if constexpr (NV == 1) {  // rows of 4 windows: output rows oh and oh+1 side by side
      f8 carry = zero;        // input row 2oh-1 from output row oh-1 (window row 2)
      for (int64_t oh = 0; oh < ho; oh += 2) {
        const bool pair = oh + 1 < ho;
        const int32_t* first = t.out_first_code.data() + oh * t.wp;
        i8 code = __builtin_shuffle(ldi<f8>(first), ldi<f8>(first + (pair ? t.wp : 0)), i8{0, 1, 2, 3, 8, 9, 10, 11});
        Best<f8> best[3];
        for (int kh = 0; kh < 3; ++kh) {  // lanes 0-3 windows of row oh, lanes 4-7 of row oh+1
          const int64_t ra = 2 * oh - 1 + kh;
          const f8 a = row_part(ra, 0), b = pair ? row_part(ra + 2, 0) : ninf;
          const f8 centre = __builtin_shuffle(a, b, i8{0, 2, 4, 6, 8, 10, 12, 14});
          const f8 right = __builtin_shuffle(a, b, i8{1, 3, 5, 7, 9, 11, 13, 15});
          const f8 left = __builtin_shuffle(right, ninf, i8{8, 0, 1, 2, 8, 4, 5, 6});
          best[kh] = row_best<kNaN>(left, centre, right, kh, code);
        }
        code = window_best<kNaN>(best).code;
        code = i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(pair ? 8 : 4) ? code : none;
        const float* gp = g_plane + oh * 4;
        const f8 g = load_row_part(gp, pair ? 8 : 4, zero, gp + kLanes <= dy_end);
        const i8 code_next = __builtin_shuffle(code, none, i8{1, 2, 3, 8, 5, 6, 7, 8});
        const f8 g_next = __builtin_shuffle(g, zero, i8{1, 2, 3, 8, 5, 6, 7, 8});
        // window row 0 adds to rows that earlier output rows reached: its two odd terms one by one
        const RowShare s0 = share(code, code_next, g, g_next, 0);
        put(2 * oh - 1, 0, (carry + __builtin_shuffle(s0.even, s0.right, lo)) + __builtin_shuffle(zero, s0.left, lo));
        const f8 s0_first = __builtin_shuffle(s0.even, s0.right, hi), s0_last = __builtin_shuffle(zero, s0.left, hi);
        const RowShare s1 = share(code, code_next, g, g_next, 1);
        const f8 odd1 = s1.right + s1.left;
        put(2 * oh, 0, __builtin_shuffle(s1.even, odd1, lo));
        const RowShare s2 = share(code, code_next, g, g_next, 2);
        const f8 odd2 = s2.right + s2.left;
        put(2 * oh + 1, 0, (__builtin_shuffle(s2.even, odd2, lo) + s0_first) + s0_last);
        put(2 * oh + 2, 0, __builtin_shuffle(s1.even, odd1, hi));
        carry = __builtin_shuffle(s2.even, odd2, hi);
      }
      if (ho % 2 == 0) put(2 * ho - 1, 0, carry);  // the last pair's window row 2 (when h = 2 ho)
    } else {  // rows of 5 to 16 windows: one output row at a time, in blocks of 8 windows
      constexpr int kBlocks = NV / 2;
      f8 carry_even[kBlocks], carry_odd[kBlocks];  // input row 2oh-1 from output row oh-1 (window row 2)
      for (int j = 0; j < kBlocks; ++j) carry_even[j] = carry_odd[j] = zero;
      for (int64_t oh = 0; oh < ho; ++oh) {
        i8 code[kBlocks];
        f8 g[kBlocks];
        f8 before[3] = {ninf, ninf, ninf};  // per window row, the previous block's odd columns
        for (int j = 0; j < kBlocks; ++j) {
          const int64_t ow = 8 * j;
          Best<f8> best[3];
          for (int kh = 0; kh < 3; ++kh) {
            const int64_t r = 2 * oh - 1 + kh;
            const f8 a = row_part(r, 2 * j), b = row_part(r, 2 * j + 1);
            const f8 centre = __builtin_shuffle(a, b, i8{0, 2, 4, 6, 8, 10, 12, 14});
            const f8 right = __builtin_shuffle(a, b, i8{1, 3, 5, 7, 9, 11, 13, 15});
            const f8 left = __builtin_shuffle(before[kh], right, i8{7, 8, 9, 10, 11, 12, 13, 14});
            before[kh] = right;
            best[kh] = row_best<kNaN>(left, centre, right, kh, ldi<f8>(t.out_first_code.data() + oh * t.wp + ow));
          }
          code[j] = i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(int32_t(wo - ow)) ? window_best<kNaN>(best).code : none;
          const float* gp = g_plane + oh * wo + ow;
          g[j] = load_row_part(gp, wo - ow, zero, gp + kLanes <= dy_end);
        }
        RowShare s[3][kBlocks];
        for (int j = 0; j < kBlocks; ++j) {
          const i8 code_next = shift_in(code[j], j + 1 < kBlocks ? code[j + 1] : none);
          const f8 g_next = shift_in(g[j], j + 1 < kBlocks ? g[j + 1] : zero);
          for (int kh = 0; kh < 3; ++kh) s[kh][j] = share(code[j], code_next, g[j], g_next, kh);
        }
        if (oh > 0)
          for (int j = 0; j < kBlocks; ++j) {
            const f8 even = carry_even[j] + s[0][j].even, odd = (carry_odd[j] + s[0][j].right) + s[0][j].left;
            put(2 * oh - 1, 2 * j, __builtin_shuffle(even, odd, lo));
            put(2 * oh - 1, 2 * j + 1, __builtin_shuffle(even, odd, hi));
          }
        for (int j = 0; j < kBlocks; ++j) {
          const f8 odd1 = s[1][j].right + s[1][j].left;
          put(2 * oh, 2 * j, __builtin_shuffle(s[1][j].even, odd1, lo));
          put(2 * oh, 2 * j + 1, __builtin_shuffle(s[1][j].even, odd1, hi));
          carry_even[j] = s[2][j].even;
          carry_odd[j] = s[2][j].right + s[2][j].left;
        }
      }
      for (int j = 0; j < kBlocks; ++j) {
        put(2 * ho - 1, 2 * j, __builtin_shuffle(carry_even[j], carry_odd[j], lo));
        put(2 * ho - 1, 2 * j + 1, __builtin_shuffle(carry_even[j], carry_odd[j], hi));
      }
    }
  }
}

// Stride-1 max-pool backward of planes at most 8 columns wide (the 8x8 and 7x7 maps), a row per
// vector: each input row is loaded once, with its left and right neighbours as lane shifts,
// and serves three output rows; the codes of output row oh's windows (as codes_plane) send dy
// to the input rows oh-1, oh, oh+1, column c taking window c-1's right, window c's centre and
// window c+1's left in that order. Input row r is complete (and written) after output row r+1:
// every position gets its contributions in increasing output order, the gather's sums exactly.
template <bool kNaN>
void max_backward_s1_rows(const PlaneTables& t, const float* x, const float* x_end, const float* dy,
                          const float* dy_end, float* dx, bool accumulate, int64_t p0, int64_t p1) {
  const int64_t h = t.h, w = t.w;
  const f8 ninf = splat<f8>(-INFINITY), zero = splat<f8>(0.f);
  const i8 none = splati<f8>(-1), in_row = i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(int32_t(w));
  const i8 to_right = {8, 0, 1, 2, 3, 4, 5, 6}, to_left = {1, 2, 3, 4, 5, 6, 7, 8};
  struct Row {
    f8 left, centre, right;  // columns c-1, c, c+1 at lane c (-inf outside the row)
  };
  for (int64_t p = p0; p < p1; ++p) {
    const float* xp = x + p * t.hw;
    const float* gp = dy + p * t.hw;
    float* dxp = dx + p * t.hw;
    auto row = [&](int64_t r) {
      if (r < 0 || r >= h) return Row{ninf, ninf, ninf};
      const float* at = xp + r * w;
      const f8 v = load_row_part(at, w, ninf, at + kLanes <= x_end);
      return Row{__builtin_shuffle(v, ninf, to_right), v, __builtin_shuffle(v, ninf, to_left)};
    };
    auto put = [&](int64_t r, f8 v) {  // a whole vector when it stays in the plane (later rows overwrite it)
      if (r >= 0) put_row_part(dxp + r * w, v, w, accumulate, r * w + kLanes <= t.hw);
    };
    Row up = {ninf, ninf, ninf}, mid = row(0);
    f8 acc_up = zero, acc_mid = zero;  // dx rows oh-1 and oh so far
    for (int64_t oh = 0; oh < h; ++oh) {
      const Row down = row(oh + 1);
      const i8 first = i8{1, 0, 0, 0, 0, 0, 0, 0} + splati<f8>(oh == 0 ? 3 : 0);
      const Best<f8> rows[3] = {row_best<kNaN>(up.left, up.centre, up.right, 0, first),
                                row_best<kNaN>(mid.left, mid.centre, mid.right, 1, first),
                                row_best<kNaN>(down.left, down.centre, down.right, 2, first)};
      const i8 code = in_row ? window_best<kNaN>(rows).code : none;
      const float* g_at = gp + oh * w;
      const f8 g = load_row_part(g_at, w, zero, g_at + kLanes <= dy_end);
      f8 acc_down = zero;
      f8* acc[3] = {&acc_up, &acc_mid, &acc_down};
      for (int kh = 0; kh < 3; ++kh) {
        const f8 from_left = code == splati<f8>(3 * kh + 2) ? g : zero;  // window c-1's right column
        const f8 centre = code == splati<f8>(3 * kh + 1) ? g : zero;
        const f8 from_right = code == splati<f8>(3 * kh) ? g : zero;    // window c+1's left column
        *acc[kh] = ((*acc[kh] + __builtin_shuffle(from_left, zero, to_right)) + centre) +
                   __builtin_shuffle(from_right, zero, to_left);
      }
      put(oh - 1, acc_up);  // no output row below oh reaches input row oh-1
      up = mid, mid = down;
      acc_up = acc_mid, acc_mid = acc_down;
    }
    put(h - 1, acc_up);
  }
}

/** kernel(nan, begin, end) for the planes [p0, p1) in groups of 32 (planes a NaN check reads
 *  while they stay in L1), nan a std::bool_constant: whether the group holds a NaN, so that NaN
 *  handling runs only there. */
template <class Kernel>
void by_nan_groups(const PlaneTables& t, const float* x, int64_t p0, int64_t p1, Kernel&& kernel) {
  constexpr int64_t kNaNGroup = 32;
  for (int64_t p = p0; p < p1; p += kNaNGroup) {
    const int64_t end = std::min(p1, p + kNaNGroup);
    if (has_nan(x + p * t.hw, (end - p) * t.hw)) kernel(std::true_type{}, p, end);
    else kernel(std::false_type{}, p, end);
  }
}

template <int NV>
void max_backward_groups(const PlaneTables& t, const float* x, const float* x_end, const float* dy,
                         const float* dy_end, float* dx, bool accumulate, int64_t p0, int64_t p1) {
  by_nan_groups(t, x, p0, p1, [&](auto nan, int64_t begin, int64_t end) {
    max_backward_planes<NV, decltype(nan)::value>(t, x, x_end, dy, dy_end, dx, accumulate, begin, end);
  });
}

}  // namespace

bool narrow_max_backward_s1_fits(int64_t w) { return w <= kLanes; }

void narrow_max_backward_s1(const PlaneTables& t, const float* x, const float* dy, float* dx, bool accumulate,
                            int64_t planes, int64_t p0, int64_t p1) {
  const float* x_end = x + planes * t.hw;
  const float* dy_end = dy + planes * t.hw;
  by_nan_groups(t, x, p0, p1, [&](auto nan, int64_t begin, int64_t end) {
    max_backward_s1_rows<decltype(nan)::value>(t, x, x_end, dy, dy_end, dx, accumulate, begin, end);
  });
}

bool narrow_max_backward_fits(int64_t w) { return w >= 7 && w <= 4 * kLanes; }

void narrow_max_backward_s2(const PlaneTables& t, const float* x, const float* dy, float* dx, bool accumulate,
                            int64_t planes, int64_t p0, int64_t p1) {
  const float* x_end = x + planes * t.hw;
  const float* dy_end = dy + planes * t.ho * t.wo;
  if (t.w <= kLanes) max_backward_groups<1>(t, x, x_end, dy, dy_end, dx, accumulate, p0, p1);
  else if (t.w <= 2 * kLanes) max_backward_groups<2>(t, x, x_end, dy, dy_end, dx, accumulate, p0, p1);
  else max_backward_groups<4>(t, x, x_end, dy, dy_end, dx, accumulate, p0, p1);
}

}  // namespace pvll::pool
