// Naive pooling: one window at a time, exactly as defined. T = float or double.
// Checked against finite differences in native/tests/test_pool.cpp; the fast kernels in
// native/cpu/pool/*.cpp are checked against these.
#pragma once
#include <cmath>
#include <cstdint>

namespace pvll::ref {

inline int64_t pool3x3_out(int64_t size, int stride) { return (size - 1) / stride + 1; }

/** Index (ih * w + iw) of the first maximum of the window of output (oh, ow); NaN wins as in PyTorch. */
template <class T>
int64_t max_pool3x3_argmax(const T* plane, int64_t h, int64_t w, int stride, int64_t oh, int64_t ow) {
  int64_t best = -1;
  T best_value = -INFINITY;
  for (int64_t ih = oh * stride - 1; ih <= oh * stride + 1; ++ih)
    for (int64_t iw = ow * stride - 1; iw <= ow * stride + 1; ++iw) {
      if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
      T v = plane[ih * w + iw];
      if (best < 0) best = ih * w + iw;  // the first valid position, when every value is -inf
      if (v > best_value || std::isnan(v)) {
        best_value = v;
        best = ih * w + iw;
      }
    }
  return best;
}

template <class T>
void max_pool3x3_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int stride) {
  const int64_t ho = pool3x3_out(h, stride), wo = pool3x3_out(w, stride);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow)
        y[(p * ho + oh) * wo + ow] = x[p * h * w + max_pool3x3_argmax(x + p * h * w, h, w, stride, oh, ow)];
}

template <class T>
void max_pool3x3_backward(const T* x, const T* dy, T* dx, int64_t planes, int64_t h, int64_t w, int stride,
                          bool accumulate) {
  const int64_t ho = pool3x3_out(h, stride), wo = pool3x3_out(w, stride);
  if (!accumulate)
    for (int64_t i = 0; i < planes * h * w; ++i) dx[i] = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow)
        dx[p * h * w + max_pool3x3_argmax(x + p * h * w, h, w, stride, oh, ow)] += dy[(p * ho + oh) * wo + ow];
}

/** Number of in-bounds positions of the window of output (oh, ow). */
inline int64_t avg_pool3x3_count(int64_t h, int64_t w, int stride, int64_t oh, int64_t ow) {
  int64_t rows = 0, cols = 0;
  for (int64_t ih = oh * stride - 1; ih <= oh * stride + 1; ++ih) rows += (ih >= 0 && ih < h);
  for (int64_t iw = ow * stride - 1; iw <= ow * stride + 1; ++iw) cols += (iw >= 0 && iw < w);
  return rows * cols;
}

template <class T>
void avg_pool3x3_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int stride) {
  const int64_t ho = pool3x3_out(h, stride), wo = pool3x3_out(w, stride);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow) {
        double sum = 0;
        for (int64_t ih = oh * stride - 1; ih <= oh * stride + 1; ++ih)
          for (int64_t iw = ow * stride - 1; iw <= ow * stride + 1; ++iw)
            if (ih >= 0 && ih < h && iw >= 0 && iw < w) sum += x[(p * h + ih) * w + iw];
        y[(p * ho + oh) * wo + ow] = T(sum / double(avg_pool3x3_count(h, w, stride, oh, ow)));
      }
}

template <class T>
void avg_pool3x3_backward(const T* dy, T* dx, int64_t planes, int64_t h, int64_t w, int stride, bool accumulate) {
  const int64_t ho = pool3x3_out(h, stride), wo = pool3x3_out(w, stride);
  if (!accumulate)
    for (int64_t i = 0; i < planes * h * w; ++i) dx[i] = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow) {
        const T share = T(double(dy[(p * ho + oh) * wo + ow]) / double(avg_pool3x3_count(h, w, stride, oh, ow)));
        for (int64_t ih = oh * stride - 1; ih <= oh * stride + 1; ++ih)
          for (int64_t iw = ow * stride - 1; iw <= ow * stride + 1; ++iw)
            if (ih >= 0 && ih < h && iw >= 0 && iw < w) dx[(p * h + ih) * w + iw] += share;
      }
}

template <class T>
void global_avg_pool_forward(const T* x, T* y, int64_t planes, int64_t hw) {
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[p * hw + i];
    y[p] = T(sum / double(hw));
  }
}

template <class T>
void global_avg_pool_backward(const T* dy, T* dx, int64_t planes, int64_t hw, bool accumulate) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < hw; ++i) {
      T d = T(double(dy[p]) / double(hw));
      dx[p * hw + i] = accumulate ? dx[p * hw + i] + d : d;
    }
}

}  // namespace pvll::ref
