// Naive softmax cross-entropy in double. T = float or double. Labels must be valid here.
#pragma once
#include <cmath>
#include <cstdint>

namespace pvll::ref {

/** Returns the mean loss; correct = rows whose first argmax is the label; dlogits may be NULL. */
template <class T>
double softmax_cross_entropy(const T* logits, const T* labels, int64_t* correct, T* dlogits, int64_t n, int64_t k) {
  double total = 0;
  *correct = 0;
  for (int64_t r = 0; r < n; ++r) {
    const T* z = logits + r * k;
    const int64_t label = int64_t(labels[r]);
    int64_t arg = 0;
    for (int64_t j = 1; j < k; ++j)
      if (z[j] > z[arg]) arg = j;
    *correct += arg == label;
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += std::exp(double(z[j]) - double(z[arg]));
    total += std::log(sum) + double(z[arg]) - double(z[label]);
    if (dlogits)
      for (int64_t j = 0; j < k; ++j)
        dlogits[r * k + j] = T((std::exp(double(z[j]) - double(z[arg])) / sum - (j == label ? 1.0 : 0.0)) / double(n));
  }
  return total / double(n);
}

}  // namespace pvll::ref
