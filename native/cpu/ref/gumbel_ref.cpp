// Naive reference of pvll_gumbel_softmax_argmax: one Philox block per element (the lane
// picked out of it), one pass per step, single thread. Written straight from the contract in
// pvll_gumbel.h, sharing only the generator itself (checked against known answers).
#include <cmath>
#include <vector>

#include "pvll_gumbel.h"
#include "status.h"

PVLL_API int pvll_gumbel_softmax_argmax_ref(const float* logits, int64_t rows, int64_t cols, uint64_t seed,
                                            uint64_t counter, float tau, float* gumbel_out, float* weights_out,
                                            float* indices_out) {
  PVLL_REQUIRE(rows >= 0 && cols >= 1 && tau > 0.f && (rows == 0 || (logits && weights_out && indices_out)),
               "pvll_gumbel_softmax_argmax_ref: bad arguments");
  PVLL_GUARD("pvll_gumbel_softmax_argmax_ref", {
    std::vector<float> g((size_t)(rows * cols));
    for (int64_t e = 0; e < rows * cols; ++e) {
      uint32_t words[4];
      pvll_gumbel_block_bits(seed, counter, (uint64_t)(e / 4), words);
      double u = ((double)words[e % 4] + 0.5) / 4294967296.0;
      g[e] = (float)(-std::log(-std::log(u)));
    }
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<double> z(cols);
      for (int64_t c = 0; c < cols; ++c) z[c] = ((double)logits[r * cols + c] + (double)g[r * cols + c]) / (double)tau;
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c)
        if (z[c] > z[best]) best = c;
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += std::exp(z[c] - z[best]);
      for (int64_t c = 0; c < cols; ++c) weights_out[r * cols + c] = (float)(std::exp(z[c] - z[best]) / sum);
      indices_out[r] = (float)best;
      if (gumbel_out)
        for (int64_t c = 0; c < cols; ++c) gumbel_out[r * cols + c] = g[r * cols + c];
    }
  })
  return PVLL_OK;
}
