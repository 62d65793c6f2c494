// Naive optimiser steps (PyTorch's formulas, one element at a time, double arithmetic) and
// sum of squares. T = float or double.
#pragma once
#include <cmath>
#include <cstdint>

namespace pvll::ref {

template <class T>
void sgd_step(T* param, const T* grad, T* buf, int64_t n, double lr, double momentum, double weight_decay) {
  for (int64_t i = 0; i < n; ++i) {
    double d = double(grad[i]) + weight_decay * param[i];
    if (buf) {
      buf[i] = T(momentum * buf[i] + d);
      d = buf[i];
    }
    param[i] = T(param[i] - lr * d);
  }
}

template <class T>
void adam_step(T* param, const T* grad, T* m, T* v, int64_t n, int64_t step, double lr, double beta1, double beta2,
               double eps, double weight_decay) {
  const double bc1 = 1 - std::pow(beta1, double(step)), bc2 = 1 - std::pow(beta2, double(step));
  for (int64_t i = 0; i < n; ++i) {
    double g = double(grad[i]) + weight_decay * param[i];
    m[i] = T(beta1 * m[i] + (1 - beta1) * g);
    v[i] = T(beta2 * v[i] + (1 - beta2) * g * g);
    double denom = std::sqrt(double(v[i])) / std::sqrt(bc2) + eps;
    param[i] = T(param[i] - lr / bc1 * double(m[i]) / denom);
  }
}

template <class T>
double sum_squares(const T* const* buffers, const int64_t* sizes, int count) {
  double s = 0;
  for (int b = 0; b < count; ++b)
    for (int64_t i = 0; i < sizes[b]; ++i) s += double(buffers[b][i]) * buffers[b][i];
  return s;
}

}  // namespace pvll::ref
