// Batch norm on CPU, NCHW float32.
//
// One task per channel: its n planes of hw values are reduced and then transformed by the same
// thread while they sit in its L2 cache (256 KB per channel at batch 64, 32x32), so x is read
// from memory once and y written once: the statistics pass is fused with the normalisation.
// Moments are taken around a shift (the channel's first value) in float lanes per plane and
// summed over planes in double, which keeps the one-pass variance accurate. Each channel is
// reduced in a fixed order by one thread: results do not depend on the thread count.
#include <cmath>

#include "norm_moments.h"
#include "parallel.h"
#include "pvll_norm.h"
#include "status.h"

using namespace pvll::norm;

PVLL_API int pvll_batch_norm_train_forward(const float* x, const float* gamma, const float* beta, float* y,
                                           float* save_mean, float* save_invstd, float* running_mean,
                                           float* running_var, int64_t n, int64_t c, int64_t hw, float momentum,
                                           float eps) {
  PVLL_REQUIRE(n > 0 && c > 0 && hw > 0 && x && y && save_mean && save_invstd,
               "pvll_batch_norm_train_forward: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n, (long long)c,
               (long long)hw);
  PVLL_REQUIRE(n * hw > 1, "pvll_batch_norm_train_forward: needs more than 1 value per channel, got n*hw=%lld",
               (long long)(n * hw));
  PVLL_REQUIRE((running_mean == nullptr) == (running_var == nullptr),
               "pvll_batch_norm_train_forward: running_mean and running_var must both be given or both be NULL");
  PVLL_GUARD("pvll_batch_norm_train_forward", {
    const double count = double(n * hw);
    pvll::parallel_for(c, channel_grain(n * hw), [=](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const float shift = x[ch * hw];
        Moments moments(shift, shift);
        for (int64_t s = 0; s < n; ++s) {
          const float* p = x + (s * c + ch) * hw;
          moments.add(p, p, hw);
        }
        const double mean_shifted = moments.sum_u() / count;
        const double var = std::max(0.0, moments.sum_uv() / count - mean_shifted * mean_shifted);
        const double mean = double(shift) + mean_shifted;
        const double invstd = 1.0 / std::sqrt(var + double(eps));
        const double scale = invstd * (gamma ? double(gamma[ch]) : 1.0);
        const float offset = beta ? beta[ch] : 0.f;
        for (int64_t s = 0; s < n; ++s)
          affine_plane(x + (s * c + ch) * hw, y + (s * c + ch) * hw, hw, float(mean), float(scale), offset);
        save_mean[ch] = float(mean);
        save_invstd[ch] = float(invstd);
        if (running_mean) {
          running_mean[ch] = float((1 - double(momentum)) * running_mean[ch] + double(momentum) * mean);
          running_var[ch] =
              float((1 - double(momentum)) * running_var[ch] + double(momentum) * var * count / (count - 1));
        }
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_batch_norm_inference_forward(const float* x, const float* gamma, const float* beta,
                                               const float* running_mean, const float* running_var, float* y,
                                               int64_t n, int64_t c, int64_t hw, float eps) {
  PVLL_REQUIRE(n > 0 && c > 0 && hw > 0 && x && y && running_mean && running_var,
               "pvll_batch_norm_inference_forward: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n,
               (long long)c, (long long)hw);
  PVLL_GUARD("pvll_batch_norm_inference_forward", {
    pvll::parallel_for(n * c, std::max<int64_t>(1, 32768 / hw), [=](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t ch = p % c;
        const double invstd = 1.0 / std::sqrt(double(running_var[ch]) + double(eps));
        const double scale = invstd * (gamma ? double(gamma[ch]) : 1.0);
        affine_plane(x + p * hw, y + p * hw, hw, running_mean[ch], float(scale), beta ? beta[ch] : 0.f);
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_batch_norm_backward(const float* x, const float* dy, const float* save_mean,
                                      const float* save_invstd, const float* gamma, float* dx, float* dgamma,
                                      float* dbeta, int64_t n, int64_t c, int64_t hw, int accumulate_dx) {
  PVLL_REQUIRE(n > 0 && c > 0 && hw > 0 && x && dy && save_mean && save_invstd && dx,
               "pvll_batch_norm_backward: bad arguments (n=%lld c=%lld hw=%lld)", (long long)n, (long long)c,
               (long long)hw);
  PVLL_GUARD("pvll_batch_norm_backward", {
    const double count = double(n * hw);
    pvll::parallel_for(c, channel_grain(2 * n * hw), [=](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const float mean = save_mean[ch];
        Moments moments(0.f, mean);
        for (int64_t s = 0; s < n; ++s) {
          const int64_t at = (s * c + ch) * hw;
          moments.add(dy + at, x + at, hw);
        }
        const double sum_dy = moments.sum_u(), sum_dy_xc = moments.sum_uv();  // sum(dy), sum(dy * (x - mean))
        const double invstd = save_invstd[ch];
        const double g = gamma ? double(gamma[ch]) : 1.0;
        // dx = a*dy + b*(x - mean) + k, added into dx when accumulating
        const double a = g * invstd;
        const float fa = float(a), fb = float(-a * invstd * invstd * sum_dy_xc / count),
                    fk = float(-a * sum_dy / count);
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
        if (dgamma) dgamma[ch] = float(sum_dy_xc * invstd);
        if (dbeta) dbeta[ch] = float(sum_dy);
      }
    });
  });
  return PVLL_OK;
}
