// Optimiser steps and gradient norms over flat buffers on CPU. The steps are elementwise
// loops (auto-vectorised: sqrt and division included); the sum of squares treats all buffers
// as one index space cut into chunks that depend only on the total size, and adds the chunk
// partials in chunk order: the norm is bit-identical for any thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "parallel.h"
#include "pvll_optim.h"
#include "simd.h"
#include "status.h"

namespace {
using namespace pvll::simd;

constexpr int64_t kGrain = 1 << 15;

/** Calls body(buffer, begin, end) for the pieces of the buffers in global range [b, e). */
template <class F>
void for_pieces(const std::vector<int64_t>& first, int64_t b, int64_t e, F&& body) {
  int buf = int(std::upper_bound(first.begin(), first.end(), b) - first.begin()) - 1;
  while (b < e) {
    const int64_t end = std::min(e, first[buf + 1]);
    if (end > b) body(buf, b - first[buf], end - first[buf]);
    b = end;
    ++buf;
  }
}

double sum_squares_range(const float* p, int64_t len) {
  double total = 0;
  for (int64_t start = 0; start < len; start += 4096) {
    const int64_t end = std::min(len, start + 4096);
    f8 a0{}, a1{};
    int64_t i = start;
    for (; i + 16 <= end; i += 16) {
      f8 u = ld<f8>(p + i), v = ld<f8>(p + i + 8);
      a0 += u * u, a1 += v * v;
    }
    float tail = 0;
    for (; i < end; ++i) tail += p[i] * p[i];
    total += hsum_double(a0 + a1) + tail;
  }
  return total;
}

std::vector<int64_t> offsets(const int64_t* sizes, int count) {
  std::vector<int64_t> first(count + 1, 0);
  for (int i = 0; i < count; ++i) first[i + 1] = first[i] + sizes[i];
  return first;
}

}  // namespace

PVLL_API int pvll_sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, float lr, float momentum,
                           float weight_decay) {
  PVLL_REQUIRE(n >= 0 && (n == 0 || (param && grad)), "pvll_sgd_step: bad arguments (n=%lld)", (long long)n);
  PVLL_REQUIRE(momentum_buf || momentum == 0.f, "pvll_sgd_step: momentum %g needs a momentum buffer",
               (double)momentum);
  PVLL_GUARD("pvll_sgd_step", {
    pvll::parallel_for(n, kGrain, [=](int64_t b, int64_t e) {
      float* __restrict p = param;
      const float* __restrict g = grad;
      float* __restrict buf = momentum_buf;
      if (buf) {
        for (int64_t i = b; i < e; ++i) {
          const float d = g[i] + weight_decay * p[i];
          const float m = momentum * buf[i] + d;
          buf[i] = m;
          p[i] -= lr * m;
        }
      } else {
        for (int64_t i = b; i < e; ++i) p[i] -= lr * (g[i] + weight_decay * p[i]);
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_adam_step(float* param, const float* grad, float* m, float* v, int64_t n, int64_t step, float lr,
                            float beta1, float beta2, float eps, float weight_decay) {
  PVLL_REQUIRE(n >= 0 && (n == 0 || (param && grad && m && v)), "pvll_adam_step: bad arguments (n=%lld)",
               (long long)n);
  PVLL_REQUIRE(step >= 1, "pvll_adam_step: step counts from 1, got %lld", (long long)step);
  PVLL_GUARD("pvll_adam_step", {
    const double bc1 = 1 - std::pow(double(beta1), double(step));
    const double bc2 = 1 - std::pow(double(beta2), double(step));
    const float step_size = float(double(lr) / bc1);
    const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
    const float one_minus_b1 = 1.f - beta1, one_minus_b2 = 1.f - beta2;
    pvll::parallel_for(n, kGrain, [=](int64_t b, int64_t e) {
      float* __restrict p = param;
      const float* __restrict g = grad;
      float* __restrict mm = m;
      float* __restrict vv = v;
      for (int64_t i = b; i < e; ++i) {
        const float gi = g[i] + weight_decay * p[i];
        const float mi = beta1 * mm[i] + one_minus_b1 * gi;
        const float vi = beta2 * vv[i] + one_minus_b2 * gi * gi;
        mm[i] = mi;
        vv[i] = vi;
        p[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_sum_squares(const float* const* buffers, const int64_t* sizes, int count, double* out) {
  PVLL_REQUIRE(out && count >= 0 && (count == 0 || (buffers && sizes)), "pvll_sum_squares: bad arguments");
  for (int i = 0; i < count; ++i)
    PVLL_REQUIRE(sizes[i] >= 0 && (sizes[i] == 0 || buffers[i]), "pvll_sum_squares: buffer %d is NULL or sized %lld",
                 i, (long long)sizes[i]);
  PVLL_GUARD("pvll_sum_squares", {
    const std::vector<int64_t> first = offsets(sizes, count);
    const int64_t total = first[count];
    std::vector<double> partial(std::max<int64_t>(1, pvll::chunk_count(total, kGrain)), 0.0);
    pvll::parallel_chunks(total, kGrain, [&](int64_t c, int64_t b, int64_t e) {
      double s = 0;
      for_pieces(first, b, e, [&](int buf, int64_t pb, int64_t pe) { s += sum_squares_range(buffers[buf] + pb, pe - pb); });
      partial[c] = s;
    });
    double sum = 0;
    for (double p : partial) sum += p;
    out[0] = sum;
  });
  return PVLL_OK;
}

PVLL_API int pvll_scale_buffers(float* const* buffers, const int64_t* sizes, int count, float alpha) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || (buffers && sizes)), "pvll_scale_buffers: bad arguments");
  for (int i = 0; i < count; ++i)
    PVLL_REQUIRE(sizes[i] >= 0 && (sizes[i] == 0 || buffers[i]), "pvll_scale_buffers: buffer %d is NULL or sized %lld",
                 i, (long long)sizes[i]);
  PVLL_GUARD("pvll_scale_buffers", {
    const std::vector<int64_t> first = offsets(sizes, count);
    pvll::parallel_for(first[count], kGrain, [&](int64_t b, int64_t e) {
      for_pieces(first, b, e, [&](int buf, int64_t pb, int64_t pe) {
        float* p = buffers[buf];
        for (int64_t i = pb; i < pe; ++i) p[i] *= alpha;
      });
    });
  });
  return PVLL_OK;
}
