// Row helpers of the rows-in-registers pooling kernels (pool3x3_narrow.cpp and
// pool3x3_narrow_max_backward.cpp): partial rows in and out of 8-lane vectors, and the one-column
// lane shift.
#pragma once
#include <cstring>

#include "pool3x3_planes.h"

namespace pvll::pool {

inline f8 pad_lanes(f8 v, int64_t n, f8 pad) {
  return i8{0, 1, 2, 3, 4, 5, 6, 7} < splati<f8>(int32_t(n)) ? v : pad;
}

/** n (1..8) floats from p, the other lanes pad; reads past p + n only when safe. */
inline f8 load_row_part(const float* p, int64_t n, f8 pad, bool safe) {
  if (n >= kLanes) return ld<f8>(p);
  if (safe) return pad_lanes(ld<f8>(p), n, pad);
  f8 v = pad;
  for (int64_t i = 0; i < n; ++i) v[i] = p[i];
  return v;
}

/** Lanes 1..8 of (a, b): the block one column to the right. */
template <class V>
inline V shift_in(V a, V b) {
  return __builtin_shuffle(a, b, i8{1, 2, 3, 4, 5, 6, 7, 8});
}

/** Writes the first n (1..8) lanes of v, added to what is there when accumulate. When spill (and
 *  not accumulate) the vector is stored whole: the lanes past n land on the next row, written
 *  after this one. No read-back of a row just stored: a load over an earlier partial store stalls. */
inline void put_row_part(float* d, f8 v, int64_t n, bool accumulate, bool spill) {
  if (n >= kLanes) {
    store(d, accumulate ? ld<f8>(d) + v : v);
  } else if (accumulate) {
    for (int64_t i = 0; i < n; ++i) d[i] += v[i];
  } else if (spill) {
    store(d, v);
  } else {  // 4-, 2- and 1-float pieces
    int64_t i = 0;
    if (n - i >= 4) std::memcpy(d + i, &v, 4 * sizeof(float)), i += 4;
    for (; i + 2 <= n; i += 2) std::memcpy(d + i, reinterpret_cast<const float*>(&v) + i, 2 * sizeof(float));
    if (i < n) d[i] = v[i];
  }
}

}  // namespace pvll::pool
