// Synchronised batch norm on CPU, NCHW float32: the per-shard sums and the steps that use the
// batch's sums (semantics and the buffer layout: pvll_norm.h).
//
// Statistics: one task per channel, moments around the channel's first value of this shard in
// float lanes flushed into double (norm_moments.h, as the fused training forward), turned into
// raw double sums sum(x) = count * mean and sum(x^2) = M2 + count * mean^2 so that shards add.
// Backward sums: sum(dy) and sum(dy * (x - mean)) the same way, times invstd. dx: per channel,
// the fused backward's affine form a*dy + b*(x - mean) + k with the batch's sums. Each channel is
// handled by one thread in a fixed order: bit-identical for any thread count.
// Checked by native/tests/test_norm_sync.cpp (against the double references in ref/norm_ref.h
// and against the whole-batch training kernels).
#include <cmath>

#include "norm_moments.h"
#include "parallel.h"
#include "pvll_norm.h"
#include "status.h"

using namespace pvll::norm;

PVLL_API int pvll_batch_norm_stats(const float* x, double* stats, int64_t n, int64_t c, int64_t hw) {
  PVLL_REQUIRE(n >= 0 && c > 0 && hw > 0 && stats && (x || n == 0),
               "pvll_batch_norm_stats: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n, (long long)c,
               (long long)hw);
  PVLL_GUARD("pvll_batch_norm_stats", {
    const double count = double(n * hw);
    stats[2 * c] = count;
    if (n == 0) {
      for (int64_t i = 0; i < 2 * c; ++i) stats[i] = 0;
      return PVLL_OK;
    }
    pvll::parallel_for(c, channel_grain(n * hw), [=](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const float shift = x[ch * hw];
        Moments moments(shift, shift);
        for (int64_t s = 0; s < n; ++s) {
          const float* p = x + (s * c + ch) * hw;
          moments.add(p, p, hw);
        }
        const double mean_shifted = moments.sum_u() / count;
        const double m2 = std::max(0.0, moments.sum_uv() - mean_shifted * moments.sum_u());
        const double mean = double(shift) + mean_shifted;
        stats[ch] = count * mean;
        stats[c + ch] = m2 + count * mean * mean;
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_batch_norm_stats_finish(const double* stats, float* save_mean, float* save_var, float* save_invstd,
                                          float* running_mean, float* running_var, int64_t c, float momentum,
                                          float eps) {
  PVLL_REQUIRE(c > 0 && stats && save_mean && save_var && save_invstd,
               "pvll_batch_norm_stats_finish: bad arguments (c=%lld)", (long long)c);
  PVLL_REQUIRE((running_mean == nullptr) == (running_var == nullptr),
               "pvll_batch_norm_stats_finish: running_mean and running_var must both be given or both be NULL");
  const double count = stats[2 * c];
  PVLL_REQUIRE(count > 1, "pvll_batch_norm_stats_finish: needs more than 1 value per channel over the batch, got %g",
               count);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean = stats[ch] / count;
    const double var = std::max(0.0, stats[c + ch] / count - mean * mean);
    save_mean[ch] = float(mean);
    save_var[ch] = float(var);
    save_invstd[ch] = float(1.0 / std::sqrt(var + double(eps)));
    if (running_mean) {
      running_mean[ch] = float((1 - double(momentum)) * running_mean[ch] + double(momentum) * mean);
      running_var[ch] = float((1 - double(momentum)) * running_var[ch] + double(momentum) * var * count / (count - 1));
    }
  }
  return PVLL_OK;
}

PVLL_API int pvll_batch_norm_backward_stats(const float* x, const float* dy, const float* save_mean,
                                            const float* save_invstd, double* sums, float* dgamma, float* dbeta,
                                            int64_t n, int64_t c, int64_t hw) {
  PVLL_REQUIRE(n >= 0 && c > 0 && hw > 0 && save_mean && save_invstd && sums && ((x && dy) || n == 0),
               "pvll_batch_norm_backward_stats: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n, (long long)c,
               (long long)hw);
  PVLL_GUARD("pvll_batch_norm_backward_stats", {
    sums[2 * c] = double(n * hw);
    pvll::parallel_for(c, channel_grain(2 * n * hw), [=](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        Moments moments(0.f, save_mean[ch]);
        for (int64_t s = 0; s < n; ++s) {
          const int64_t at = (s * c + ch) * hw;
          moments.add(dy + at, x + at, hw);
        }
        const double sum_dy = moments.sum_u();                                 // sum(dy)
        const double sum_dy_xhat = moments.sum_uv() * double(save_invstd[ch]);  // sum(dy * (x - mean)) * invstd
        sums[ch] = sum_dy;
        sums[c + ch] = sum_dy_xhat;
        if (dgamma) dgamma[ch] = float(sum_dy_xhat);
        if (dbeta) dbeta[ch] = float(sum_dy);
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_batch_norm_backward_apply(const float* x, const float* dy, const float* save_mean,
                                            const float* save_invstd, const float* gamma, const double* sums,
                                            float* dx, int64_t n, int64_t c, int64_t hw, int accumulate_dx) {
  PVLL_REQUIRE(n >= 0 && c > 0 && hw > 0 && save_mean && save_invstd && sums && ((x && dy && dx) || n == 0),
               "pvll_batch_norm_backward_apply: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n, (long long)c,
               (long long)hw);
  const double count = sums[2 * c];
  PVLL_REQUIRE(count >= double(n * hw) && count > 0,
               "pvll_batch_norm_backward_apply: the batch's count %g is below this shard's %lld values per channel",
               count, (long long)(n * hw));
  if (n == 0) return PVLL_OK;
  PVLL_GUARD("pvll_batch_norm_backward_apply", {
    pvll::parallel_for(c, channel_grain(2 * n * hw), [=](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const float mean = save_mean[ch];
        const double invstd = save_invstd[ch];
        const double a = (gamma ? double(gamma[ch]) : 1.0) * invstd;
        // dx = a*dy + b*(x - mean) + k, as in the fused backward (norm.cpp)
        const float fa = float(a), fb = float(-a * invstd * sums[c + ch] / count), fk = float(-a * sums[ch] / count);
        for (int64_t s = 0; s < n; ++s) {
          const int64_t at = (s * c + ch) * hw;
          const float *xp = x + at, *dyp = dy + at;
          float* dxp = dx + at;
          for_lanes(hw, [&](int64_t i, auto lane) {
            using V = decltype(lane);
            V d = splat<V>(fa) * ld<V>(dyp + i) + (splat<V>(fb) * (ld<V>(xp + i) - splat<V>(mean)) + splat<V>(fk));
            store(dxp + i, accumulate_dx ? ld<V>(dxp + i) + d : d);
          });
        }
      }
    });
  });
  return PVLL_OK;
}
