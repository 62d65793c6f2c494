// Portable 8-lane float vectors (GCC/Clang vector extensions) for the layer kernels.
//
// Why vector extensions and not intrinsics: the same source compiles to AVX2 (the default
// x86-64-v3 build), AVX-512 (-march=native) or SSE, and every helper is also defined for
// plain float, so one generic lambda serves the vector body and the scalar tail:
//     for_lanes(n, [&](int64_t i, auto lane) { using V = decltype(lane); store(y + i, ld<V>(x + i)); });
#pragma once
#include <cstdint>
#include <cstring>

namespace pvll::simd {

constexpr int kLanes = 8;
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));
typedef double d4 __attribute__((vector_size(32)));

/** Unaligned load of a V (f8 or float) from p. */
template <class V>
inline V ld(const float* p) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return *p;
  } else {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

inline void store(float* p, float v) { *p = v; }
inline void store(float* p, f8 v) { std::memcpy(p, &v, sizeof v); }

template <class V>
inline V splat(float x) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return x;
  } else {
    return V{} + x;
  }
}

/** max(a, b) that propagates a NaN from either side (PyTorch's max-pool does). */
inline float max_nan(float a, float b) { return (a > b || a != a) ? a : b; }
inline f8 max_nan(f8 a, f8 b) { return ((a > b) | (a != a)) ? a : b; }

/** Sum of the 8 lanes in a fixed order (pairwise), so results never depend on the caller. */
inline float hsum(f8 v) {
  float s0 = (v[0] + v[4]) + (v[2] + v[6]);
  float s1 = (v[1] + v[5]) + (v[3] + v[7]);
  return s0 + s1;
}

/** Sum of the 8 lanes in double. */
inline double hsum_double(f8 v) {
  double s0 = ((double)v[0] + v[4]) + ((double)v[2] + v[6]);
  double s1 = ((double)v[1] + v[5]) + ((double)v[3] + v[7]);
  return s0 + s1;
}

/** Calls f(i, f8{}) for full vectors of [0, n), then f(i, 0.f) for the tail. */
template <class F>
inline void for_lanes(int64_t n, F&& f) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) f(i, f8{});
  for (; i < n; ++i) f(i, 0.f);
}

/** Even and odd lanes of the 16 floats at p: e = p[0,2,..,14], o = p[1,3,..,15]. */
inline void deinterleave(const float* p, f8& e, f8& o) {
  f8 a = ld<f8>(p), b = ld<f8>(p + kLanes);
  e = __builtin_shuffle(a, b, i8{0, 2, 4, 6, 8, 10, 12, 14});
  o = __builtin_shuffle(a, b, i8{1, 3, 5, 7, 9, 11, 13, 15});
}

/** Inverse of deinterleave: p[2k] = e[k], p[2k+1] = o[k] for 16 floats. */
inline void interleave(float* p, f8 e, f8 o) {
  store(p, __builtin_shuffle(e, o, i8{0, 8, 1, 9, 2, 10, 3, 11}));
  store(p + kLanes, __builtin_shuffle(e, o, i8{4, 12, 5, 13, 6, 14, 7, 15}));
}

}  // namespace pvll::simd
