// Naive channel concat/split and drop-path. T = float or double.
#pragma once
#include <cstdint>

namespace pvll::ref {

template <class T>
void concat_channels(const T* const* xs, const int64_t* channels, int count, T* y, int64_t n, int64_t hw) {
  int64_t total = 0;
  for (int i = 0; i < count; ++i) total += channels[i];
  for (int64_t s = 0; s < n; ++s) {
    int64_t c0 = 0;
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < channels[i] * hw; ++j) y[(s * total + c0) * hw + j] = xs[i][s * channels[i] * hw + j];
      c0 += channels[i];
    }
  }
}

template <class T>
void split_channels(const T* dy, T* const* dxs, const int64_t* channels, int count, int64_t n, int64_t hw,
                    bool accumulate) {
  int64_t total = 0;
  for (int i = 0; i < count; ++i) total += channels[i];
  for (int64_t s = 0; s < n; ++s) {
    int64_t c0 = 0;
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < channels[i] * hw; ++j) {
        T& d = dxs[i][s * channels[i] * hw + j];
        T v = dy[(s * total + c0) * hw + j];
        d = accumulate ? d + v : v;
      }
      c0 += channels[i];
    }
  }
}

template <class T>
void drop_path(const T* x, const T* mask, T* y, int64_t n, int64_t per_sample, T keep_prob, bool accumulate) {
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < per_sample; ++j) {
      T v = x[s * per_sample + j] / keep_prob * mask[s];
      y[s * per_sample + j] = accumulate ? y[s * per_sample + j] + v : v;
    }
}

}  // namespace pvll::ref
