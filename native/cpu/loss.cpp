// Softmax cross-entropy on CPU. Rows are independent; the mean loss sums the per-row losses
// in row order in double after the parallel part, so it does not depend on the thread count.
#include <cmath>
#include <vector>

#include "parallel.h"
#include "pvll_loss.h"
#include "status.h"

PVLL_API int pvll_softmax_cross_entropy(const float* logits, const float* labels, float* loss_out,
                                        float* correct_out, float* dlogits, int64_t n, int64_t k) {
  PVLL_REQUIRE(logits && labels && loss_out && correct_out && n > 0 && k > 0,
               "pvll_softmax_cross_entropy: bad arguments (n=%lld k=%lld)", (long long)n, (long long)k);
  for (int64_t r = 0; r < n; ++r) {
    const float l = labels[r];
    PVLL_REQUIRE(l >= 0.f && l < float(k) && l == std::floor(l),
                 "pvll_softmax_cross_entropy: label %g at row %lld is not a class index in [0, %lld)", (double)l,
                 (long long)r, (long long)k);
  }
  PVLL_GUARD("pvll_softmax_cross_entropy", {
    std::vector<double> row_loss(n);
    std::vector<char> row_correct(n);
    const float inv_n = 1.f / float(n);
    pvll::parallel_for(n, std::max<int64_t>(1, 16384 / k), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* z = logits + r * k;
        const int64_t label = int64_t(labels[r]);
        int64_t arg = 0;
        for (int64_t j = 1; j < k; ++j)
          if (z[j] > z[arg]) arg = j;
        const float m = z[arg];
        double sum = 0;
        for (int64_t j = 0; j < k; ++j) sum += std::exp(z[j] - m);
        row_loss[r] = std::log(sum) + double(m) - double(z[label]);
        row_correct[r] = arg == label;
        if (dlogits) {
          float* d = dlogits + r * k;
          const float inv_sum = float(1.0 / sum);
          for (int64_t j = 0; j < k; ++j) d[j] = std::exp(z[j] - m) * inv_sum * inv_n;
          d[label] -= inv_n;
        }
      }
    });
    double total = 0;
    int64_t correct = 0;
    for (int64_t r = 0; r < n; ++r) total += row_loss[r], correct += row_correct[r];
    loss_out[0] = float(total / double(n));
    correct_out[0] = float(correct);
  });
  return PVLL_OK;
}
