// Internal to the 3x3 pooling kernels (pool3x3*.cpp): per-shape tables, scratch layout and the
// per-plane kernels for stride 1 (pool3x3_stride1.cpp) and stride 2 (pool3x3_stride2.cpp).
//
// Shared conventions: a plane is h x w values; outputs are ho x wo; the max-pool "code" of an
// output is k = 3*kh + kw, the position of the first maximum of its window in row-major order
// (PyTorch's tie rule; a NaN wins as in PyTorch). A padding position is never an argmax.
#pragma once
#include <cmath>
#include <cstring>
#include <vector>

#include "scratch.h"
#include "simd.h"

namespace pvll::pool {
using namespace pvll::simd;

/** Room for full-vector reads and writes past the end of a scratch array. */
constexpr int64_t kSlack = 2 * kLanes;

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

template <class V>
inline auto ldi(const int32_t* p) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return *p;
  } else {
    i8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

template <class V>
inline void storei(int32_t* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

template <class V>
inline auto splati(int32_t x) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return x;
  } else {
    return i8{} + x;
  }
}

/** The maximum of some positions of a window (or of a vector of windows) and its code. */
template <class V>
struct Best {
  V value;
  decltype(splati<V>(0)) code;
};

/**
 * later replaces earlier where PyTorch's sequential scan would move on to it: a greater value
 * (the first maximum stays) or a NaN (the last NaN wins). Associative, so the scan of a window's 9
 * positions can be a tree of depth 5 instead of a chain of 9 dependent compare-and-blends (the
 * chain's latency, not its instructions, bounded the backward passes).
 */
template <bool kNaN, class V>
inline Best<V> later_wins(Best<V> earlier, Best<V> later) {
  auto wins = later.value > earlier.value;
  if constexpr (kNaN) wins = wins | (later.value != later.value);
  return {wins ? later.value : earlier.value, wins ? later.code : earlier.code};
}

/** The best of window row kh's three columns. Row 0 starts from -inf with the window's first
 *  in-bounds code (an all -inf window keeps it); the others from their left column. */
template <bool kNaN, class V>
inline Best<V> row_best(V left, V centre, V right, int kh, decltype(splati<V>(0)) first) {
  Best<V> b = {left, splati<V>(3 * kh)};
  if (kh == 0) b = later_wins<kNaN>(Best<V>{splat<V>(-INFINITY), first}, b);
  b = later_wins<kNaN>(b, Best<V>{centre, splati<V>(3 * kh + 1)});
  return later_wins<kNaN>(b, Best<V>{right, splati<V>(3 * kh + 2)});
}

/** The best of a window from the best of its three rows. */
template <bool kNaN, class V>
inline Best<V> window_best(const Best<V> (&rows)[3]) {
  return later_wins<kNaN>(later_wins<kNaN>(rows[0], rows[1]), rows[2]);
}

/** p[0 .. n) = value, in whole vectors where possible (the pads are short but many). */
inline void fill(float* p, int64_t n, float value) {
  for_lanes(n, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(p + i, splat<V>(value));
  });
}

inline void fill(int32_t* p, int64_t n, int32_t value) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) storei(p + i, i8{} + value);
  for (; i < n; ++i) p[i] = value;
}

/** Padding (whole vectors, at least a row and one) around the padded copies of a plane. */
inline int64_t plane_pad(int64_t w) { return round_up(w + 1, kLanes); }

/**
 * A copy of the hw values at src in buf, with plane_pad(w) copies of value before it and
 * plane_pad(w) + kSlack after (buf holds hw + 2 * plane_pad(w) + kSlack values); returns the
 * start of the copy, 32-byte aligned. (A hand loop: rep-movs of unaligned blocks is slow on AMD.)
 */
float* padded_copy(float* buf, const float* src, int64_t hw, int64_t w, float value);

/** Whether any of the n values is NaN. */
bool has_nan(const float* x, int64_t n);

/** Per plane-shape tables, computed once per call and shared read-only by the threads. */
struct PlaneTables {
  int64_t h, w, hw, ho, wo;
  int stride;
  int64_t wp;  // stride 2: row length of the padded output-level planes (>= round_up(wo, 8) + 8)
  // stride 1, one per input position
  std::vector<int32_t> left_ok, right_ok;  // -1 where the column has a left / right neighbour
  std::vector<int32_t> first_code;         // code of the window's first in-bounds position
  std::vector<float> inv_count;            // 1 / in-bounds window size
  // stride 2, one per output position
  std::vector<int32_t> out_first_code;  // rows of wp
  std::vector<float> out_inv_count;     // ho x wo, then zeros for whole-vector reads

  PlaneTables(int64_t h, int64_t w, int stride);
};

/**
 * The scratch buffers of one thread for planes of one shape, fetched once per chunk of planes
 * (a thread-local lookup per plane costs as much as pooling a 7x7 plane).
 */
struct Scratch {
  float* padded;   // padded copy of the input plane
  float* rows;     // stride 1: vertical pass (hw + lanes before); stride 2: three row buffers
  float* plane;    // a plane of results
  float* sums;     // a second plane of results
  int32_t* codes;  // argmax codes, padded
  float* grads;    // gradients, padded

  explicit Scratch(const PlaneTables& t);
};

void max_forward_s1(const PlaneTables& t, Scratch& s, const float* x, float* y);
void avg_forward_s1(const PlaneTables& t, Scratch& s, const float* x, float* y);
/** dy_begin, dy_end: the dy tensor, which the gather reads past the plane where it can. */
void max_backward_s1(const PlaneTables& t, Scratch& s, const float* x, const float* dy, const float* dy_begin,
                     const float* dy_end, float* dx, bool accumulate);
void avg_backward_s1(const PlaneTables& t, Scratch& s, const float* dy, float* dx, bool accumulate);

void max_forward_s2(const PlaneTables& t, Scratch& s, const float* x, float* y);
void avg_forward_s2(const PlaneTables& t, Scratch& s, const float* x, float* y);
/** Stride-2 backward passes read dy with whole vectors: dy_end is where its buffer ends. */
void max_backward_s2(const PlaneTables& t, Scratch& s, const float* x, const float* dy, const float* dy_end, float* dx,
                     bool accumulate);
void avg_backward_s2(const PlaneTables& t, Scratch& s, const float* dy, const float* dy_end, float* dx,
                     bool accumulate);

/** Whether the stride-2 forward of planes w columns wide runs on narrow_forward_s2. */
bool narrow_s2(int64_t w);
/** Stride-2 max (or average) forward of planes [p0, p1) of the `planes` at x, 7 to 16 columns
 *  wide, rows in registers (pool3x3_narrow.cpp). */
void narrow_forward_s2(bool max, const PlaneTables& t, const float* x, float* y, int64_t planes, int64_t p0,
                       int64_t p1);

/** Whether the stride-2 average-pool backward of h x w planes runs on narrow_avg_backward_s2. */
bool narrow_backward_s2(int64_t h, int64_t w);
/** Whether the stride-2 max-pool backward of planes w columns wide runs on narrow_max_backward_s2. */
bool narrow_max_backward_fits(int64_t w);
/** Stride-2 max-pool backward of planes [p0, p1), 7 to 32 columns, rows in registers
 *  (pool3x3_narrow_max_backward.cpp). */
void narrow_max_backward_s2(const PlaneTables& t, const float* x, const float* dy, float* dx, bool accumulate,
                            int64_t planes, int64_t p0, int64_t p1);

/** Whether the stride-1 max-pool backward of planes w columns wide runs on narrow_max_backward_s1. */
bool narrow_max_backward_s1_fits(int64_t w);
/** Stride-1 max-pool backward of planes [p0, p1), at most 8 columns, rows in registers
 *  (pool3x3_narrow_max_backward.cpp). */
void narrow_max_backward_s1(const PlaneTables& t, const float* x, const float* dy, float* dx, bool accumulate,
                            int64_t planes, int64_t p0, int64_t p1);

/** Stride-2 average-pool backward of planes [p0, p1), 7 to 16 columns and at most 16 rows
 *  (pool3x3_narrow.cpp). */
void narrow_avg_backward_s2(const PlaneTables& t, const float* dy, float* dx, bool accumulate, int64_t planes,
                            int64_t p0, int64_t p1);

/** dst = src (or dst += src) over n values. */
inline void write_plane(float* dst, const float* src, int64_t n, bool accumulate) {
  for_lanes(n, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(dst + i, accumulate ? ld<V>(dst + i) + ld<V>(src + i) : ld<V>(src + i));
  });
}

}  // namespace pvll::pool
