// Channel concat/split, drop-path and addition on CPU: memory-bound copies and scalings,
// split over threads by whole blocks (each output value written by one thread).
#include <algorithm>
#include <cstring>
#include <vector>

#include "parallel.h"
#include "pvll_tensor_ops.h"
#include "simd.h"
#include "status.h"

namespace {
using namespace pvll::simd;

constexpr int64_t kGrain = 1 << 16;  // values per task

/** Calls body(s, i, offset_in_y) for every (sample, input) block of a channel concat. */
template <class F>
void for_concat_blocks(const int64_t* channels, int count, int64_t n, int64_t hw, F&& body) {
  std::vector<int64_t> first(count + 1, 0);
  for (int i = 0; i < count; ++i) first[i + 1] = first[i] + channels[i];
  const int64_t total = first[count];
  const int64_t per_block = std::max<int64_t>(1, total * hw / std::max(1, count));
  // read and written once
  const int64_t bytes = 2 * n * total * hw * (int64_t)sizeof(float);
  pvll::parallel_for_sized(n * count, std::max<int64_t>(1, kGrain / per_block), bytes, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t s = blk / count;
      const int i = int(blk % count);
      body(s, i, (s * total + first[i]) * hw);
    }
  });
}

int check_blocks(const char* op, const void* const* ptrs, const int64_t* channels, int count, int64_t n,
                 int64_t hw) {
  PVLL_REQUIRE(ptrs && channels && count > 0 && n >= 0 && hw >= 0, "%s: bad arguments (count=%d n=%lld hw=%lld)", op,
               count, (long long)n, (long long)hw);
  for (int i = 0; i < count; ++i)
    PVLL_REQUIRE(ptrs[i] && channels[i] >= 0, "%s: input %d is NULL or has %lld channels", op, i,
                 (long long)channels[i]);
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_concat_channels(const float* const* xs, const int64_t* channels, int count, float* y, int64_t n,
                                  int64_t hw) {
  if (int st = check_blocks("pvll_concat_channels", (const void* const*)xs, channels, count, n, hw)) return st;
  PVLL_REQUIRE(y, "pvll_concat_channels: y is NULL");
  PVLL_GUARD("pvll_concat_channels", {
    for_concat_blocks(channels, count, n, hw, [&](int64_t s, int i, int64_t at) {
      const int64_t len = channels[i] * hw;
      std::memcpy(y + at, xs[i] + s * len, size_t(len) * sizeof(float));
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_split_channels(const float* dy, float* const* dxs, const int64_t* channels, int count, int64_t n,
                                 int64_t hw, int accumulate) {
  if (int st = check_blocks("pvll_split_channels", (const void* const*)dxs, channels, count, n, hw)) return st;
  PVLL_REQUIRE(dy, "pvll_split_channels: dy is NULL");
  PVLL_GUARD("pvll_split_channels", {
    for_concat_blocks(channels, count, n, hw, [&](int64_t s, int i, int64_t at) {
      const int64_t len = channels[i] * hw;
      float* d = dxs[i] + s * len;
      const float* g = dy + at;
      if (!accumulate) {
        std::memcpy(d, g, size_t(len) * sizeof(float));
      } else {
        for_lanes(len, [&](int64_t j, auto lane) {
          using V = decltype(lane);
          store(d + j, ld<V>(d + j) + ld<V>(g + j));
        });
      }
    });
  });
  return PVLL_OK;
}

namespace {

int drop_path(const char* op, const float* src, const float* mask, float* dst, int64_t n, int64_t per_sample,
              float keep_prob, bool accumulate) {
  PVLL_REQUIRE(src && mask && dst && n >= 0 && per_sample >= 0, "%s: bad arguments (n=%lld per_sample=%lld)", op,
               (long long)n, (long long)per_sample);
  PVLL_REQUIRE(keep_prob > 0.f && keep_prob <= 1.f, "%s: keep_prob must be in (0, 1], got %g", op,
               (double)keep_prob);
  PVLL_GUARD(op, {
    pvll::parallel_for(n, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, per_sample)), [=](int64_t s0, int64_t s1) {
      for (int64_t s = s0; s < s1; ++s) {
        const float scale = mask[s] / keep_prob;
        const float* a = src + s * per_sample;
        float* d = dst + s * per_sample;
        for_lanes(per_sample, [&](int64_t j, auto lane) {
          using V = decltype(lane);
          V v = ld<V>(a + j) * splat<V>(scale);
          store(d + j, accumulate ? ld<V>(d + j) + v : v);
        });
      }
    });
  });
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_drop_path_forward(const float* x, const float* mask, float* y, int64_t n, int64_t per_sample,
                                    float keep_prob) {
  return drop_path("pvll_drop_path_forward", x, mask, y, n, per_sample, keep_prob, false);
}

PVLL_API int pvll_drop_path_backward(const float* dy, const float* mask, float* dx, int64_t n, int64_t per_sample,
                                     float keep_prob, int accumulate) {
  return drop_path("pvll_drop_path_backward", dy, mask, dx, n, per_sample, keep_prob, accumulate != 0);
}

PVLL_API int pvll_add(const float* a, const float* b, float* y, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || (a && b && y)), "pvll_add: bad arguments (count=%lld)", (long long)count);
  PVLL_GUARD("pvll_add", {
    pvll::parallel_for_sized(count, 1 << 16, 3 * count * (int64_t)sizeof(float), [=](int64_t b0, int64_t b1) {
      for_lanes(b1 - b0, [&](int64_t j, auto lane) {
        using V = decltype(lane);
        store(y + b0 + j, ld<V>(a + b0 + j) + ld<V>(b + b0 + j));
      });
    });
  });
  return PVLL_OK;
}
