// Naive batch norm: the definitions, two passes, double accumulators. T = float or double.
// The fast kernels in native/cpu/norm.cpp are checked against these; the double instances
// are checked against finite differences (native/tests/test_norm.cpp).
#pragma once
#include <cmath>
#include <cstdint>

namespace pvll::ref {

template <class T>
void batch_norm_train_forward(const T* x, const T* gamma, const T* beta, T* y, T* save_mean, T* save_invstd,
                              T* running_mean, T* running_var, int64_t n, int64_t c, int64_t hw, T momentum,
                              T eps) {
  const double count = double(n * hw);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) sum += x[(s * c + ch) * hw + i];
    const double mean = sum / count;
    double sq = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        double d = x[(s * c + ch) * hw + i] - mean;
        sq += d * d;
      }
    const double var = sq / count;
    const double invstd = 1.0 / std::sqrt(var + double(eps));
    const double g = gamma ? double(gamma[ch]) : 1.0, b = beta ? double(beta[ch]) : 0.0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (s * c + ch) * hw + i;
        y[at] = T((x[at] - mean) * invstd * g + b);
      }
    save_mean[ch] = T(mean);
    save_invstd[ch] = T(invstd);
    if (running_mean) {
      running_mean[ch] = T((1 - double(momentum)) * running_mean[ch] + double(momentum) * mean);
      running_var[ch] = T((1 - double(momentum)) * running_var[ch] + double(momentum) * var * count / (count - 1));
    }
  }
}

template <class T>
void batch_norm_inference_forward(const T* x, const T* gamma, const T* beta, const T* running_mean,
                                  const T* running_var, T* y, int64_t n, int64_t c, int64_t hw, T eps) {
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const double invstd = 1.0 / std::sqrt(double(running_var[ch]) + double(eps));
      const double g = gamma ? double(gamma[ch]) : 1.0, b = beta ? double(beta[ch]) : 0.0;
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (s * c + ch) * hw + i;
        y[at] = T((x[at] - double(running_mean[ch])) * invstd * g + b);
      }
    }
}

template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* save_mean, const T* save_invstd, const T* gamma, T* dx,
                         T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t hw, bool accumulate_dx) {
  const double count = double(n * hw);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean = save_mean[ch], invstd = save_invstd[ch];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (s * c + ch) * hw + i;
        sum_dy += dy[at];
        sum_dy_xhat += dy[at] * (x[at] - mean) * invstd;
      }
    const double g = gamma ? double(gamma[ch]) : 1.0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        int64_t at = (s * c + ch) * hw + i;
        double xhat = (x[at] - mean) * invstd;
        double d = g * invstd * (dy[at] - sum_dy / count - xhat * sum_dy_xhat / count);
        dx[at] = T(accumulate_dx ? dx[at] + d : d);
      }
    if (dgamma) dgamma[ch] = T(sum_dy_xhat);
    if (dbeta) dbeta[ch] = T(sum_dy);
  }
}

// Synchronised batch norm (pvll_norm.h): the definitions in double, straight from the layout.

template <class T>
void batch_norm_stats(const T* x, double* stats, int64_t n, int64_t c, int64_t hw) {
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sum_sq = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        const double v = x[(s * c + ch) * hw + i];
        sum += v;
        sum_sq += v * v;
      }
    stats[ch] = sum;
    stats[c + ch] = sum_sq;
  }
  stats[2 * c] = double(n * hw);
}

template <class T>
void batch_norm_stats_finish(const double* stats, T* save_mean, T* save_var, T* save_invstd, T* running_mean,
                             T* running_var, int64_t c, T momentum, T eps) {
  const double count = stats[2 * c];
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean = stats[ch] / count, var = stats[c + ch] / count - mean * mean;
    save_mean[ch] = T(mean);
    save_var[ch] = T(var);
    save_invstd[ch] = T(1.0 / std::sqrt(var + double(eps)));
    if (running_mean) {
      running_mean[ch] = T((1 - double(momentum)) * running_mean[ch] + double(momentum) * mean);
      running_var[ch] = T((1 - double(momentum)) * running_var[ch] + double(momentum) * var * count / (count - 1));
    }
  }
}

template <class T>
void batch_norm_backward_stats(const T* x, const T* dy, const T* save_mean, const T* save_invstd, double* sums,
                               T* dgamma, T* dbeta, int64_t n, int64_t c, int64_t hw) {
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        const int64_t at = (s * c + ch) * hw + i;
        sum_dy += dy[at];
        sum_dy_xhat += double(dy[at]) * (double(x[at]) - double(save_mean[ch])) * double(save_invstd[ch]);
      }
    sums[ch] = sum_dy;
    sums[c + ch] = sum_dy_xhat;
    if (dgamma) dgamma[ch] = T(sum_dy_xhat);
    if (dbeta) dbeta[ch] = T(sum_dy);
  }
  sums[2 * c] = double(n * hw);
}

template <class T>
void batch_norm_backward_apply(const T* x, const T* dy, const T* save_mean, const T* save_invstd, const T* gamma,
                               const double* sums, T* dx, int64_t n, int64_t c, int64_t hw, bool accumulate_dx) {
  const double count = sums[2 * c];
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean = save_mean[ch], invstd = save_invstd[ch], g = gamma ? double(gamma[ch]) : 1.0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < hw; ++i) {
        const int64_t at = (s * c + ch) * hw + i;
        const double xhat = (x[at] - mean) * invstd;
        const double d = g * invstd * (dy[at] - sums[ch] / count - xhat * sums[c + ch] / count);
        dx[at] = T(accumulate_dx ? dx[at] + d : d);
      }
  }
}

}  // namespace pvll::ref
