// Gumbel noise and the fused Gumbel-softmax + argmax (stream contract in pvll_gumbel.h).
// Rows are split over threads (each row is written by one chunk, so results do not depend on
// the thread count); within a row each Philox block feeds four consecutive elements.
#include <cmath>
#include <vector>

#include "parallel.h"
#include "pvll_gumbel.h"
#include "status.h"

namespace {

constexpr int64_t kElementsPerChunk = 1 << 14;
constexpr double kTwoToMinus32 = 1.0 / 4294967296.0;

inline float gumbel_of_bits(uint32_t u) {
  double uniform = ((double)u + 0.5) * kTwoToMinus32;
  return (float)-std::log(-std::log(uniform));
}

// g[i] = noise of elements [first, first + n) of the draw, one Philox block per four elements.
void fill_noise(uint64_t seed, uint64_t counter, int64_t first, int64_t n, float* g) {
  uint32_t words[4];
  int64_t i = 0;
  while (i < n) {
    int64_t e = first + i;
    uint64_t block = (uint64_t)e >> 2;
    pvll_gumbel_block_bits(seed, counter, block, words);
    for (int lane = (int)(e & 3); lane < 4 && i < n; ++lane, ++i) g[i] = gumbel_of_bits(words[lane]);
  }
}

}  // namespace

PVLL_API int pvll_gumbel_noise(uint64_t seed, uint64_t counter, int64_t offset, int64_t n, float* g) {
  PVLL_REQUIRE(offset >= 0 && n >= 0 && (n == 0 || g), "pvll_gumbel_noise: bad arguments (offset=%lld, n=%lld)",
               (long long)offset, (long long)n);
  PVLL_GUARD("pvll_gumbel_noise", {
    pvll::parallel_for(n, kElementsPerChunk, [=](int64_t b, int64_t e) { fill_noise(seed, counter, offset + b, e - b, g + b); });
  })
  return PVLL_OK;
}

PVLL_API int pvll_gumbel_softmax_argmax(const float* logits, int64_t rows, int64_t cols, uint64_t seed,
                                        uint64_t counter, float tau, float* gumbel_out, float* weights_out,
                                        float* indices_out) {
  PVLL_REQUIRE(rows >= 0 && cols >= 1, "pvll_gumbel_softmax_argmax: bad shape [%lld, %lld]", (long long)rows,
               (long long)cols);
  PVLL_REQUIRE(tau > 0.f && std::isfinite(tau), "pvll_gumbel_softmax_argmax: tau must be positive and finite, got %g",
               (double)tau);
  PVLL_REQUIRE(rows == 0 || (logits && weights_out && indices_out), "pvll_gumbel_softmax_argmax: null pointer");
  PVLL_GUARD("pvll_gumbel_softmax_argmax", {
    int64_t grain = cols >= kElementsPerChunk ? 1 : kElementsPerChunk / cols;
    pvll::parallel_for(rows, grain, [=](int64_t rb, int64_t re) {
      std::vector<double> z((size_t)cols);
      for (int64_t r = rb; r < re; ++r) {
        const float* x = logits + r * cols;
        // The noise goes to gumbel_out, or first into weights_out, which is overwritten below.
        float* g = gumbel_out ? gumbel_out + r * cols : weights_out + r * cols;
        fill_noise(seed, counter, r * cols, cols, g);
        int64_t best = 0;
        for (int64_t c = 0; c < cols; ++c) {
          z[c] = ((double)x[c] + (double)g[c]) / (double)tau;
          if (z[c] > z[best]) best = c;
        }
        double top = z[best], sum = 0;
        for (int64_t c = 0; c < cols; ++c) {
          z[c] = std::exp(z[c] - top);
          sum += z[c];
        }
        float* w = weights_out + r * cols;
        for (int64_t c = 0; c < cols; ++c) w[c] = (float)(z[c] / sum);
        indices_out[r] = (float)best;
      }
    });
  })
  return PVLL_OK;
}
