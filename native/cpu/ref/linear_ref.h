// Naive linear layer, double accumulators. T = float or double.
#pragma once
#include <cstdint>

namespace pvll::ref {

template <class T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int64_t n, int64_t in, int64_t out) {
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b ? double(b[o]) : 0.0;
      for (int64_t i = 0; i < in; ++i) s += double(x[r * in + i]) * w[o * in + i];
      y[r * out + o] = T(s);
    }
}

template <class T>
void linear_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t n, int64_t in, int64_t out,
                     bool accumulate) {
  if (dx)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < in; ++i) {
        double s = 0;
        for (int64_t o = 0; o < out; ++o) s += double(dy[r * out + o]) * w[o * in + i];
        dx[r * in + i] = T(accumulate ? dx[r * in + i] + s : s);
      }
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) {
      double s = 0;
      for (int64_t r = 0; r < n; ++r) s += double(dy[r * out + o]) * x[r * in + i];
      dw[o * in + i] = T(accumulate ? dw[o * in + i] + s : s);
    }
  if (db)
    for (int64_t o = 0; o < out; ++o) {
      double s = 0;
      for (int64_t r = 0; r < n; ++r) s += dy[r * out + o];
      db[o] = T(accumulate ? db[o] + s : s);
    }
}

}  // namespace pvll::ref
