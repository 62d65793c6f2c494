// Spatial kernels: crop forward and backward, general average pooling; one (n, c) plane per work item.
#include "pvll_spatial.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"
#include "status.h"

namespace {
int check(const char* op, const void* a, const void* b, int n, int c, int h, int w, int top, int left, int oh, int ow) {
  PVLL_REQUIRE(a && b && n >= 0 && c >= 0 && h >= 0 && w >= 0 && oh >= 0 && ow >= 0 && top >= 0 && left >= 0 &&
                   top + oh <= h && left + ow <= w,
               "%s: window %dx%d at (%d,%d) does not fit in %dx%d", op, oh, ow, top, left, h, w);
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_crop_forward(const float* x, float* y, int n, int c, int h, int w, int top, int left, int oh, int ow) {
  if (int s = check("pvll_crop_forward", x, y, n, c, h, w, top, left, oh, ow)) return s;
  pvll::parallel_for((int64_t)n * c, 16, [=](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const float* src = x + p * h * w + (int64_t)top * w + left;
      float* dst = y + p * oh * ow;
      for (int i = 0; i < oh; ++i) std::memcpy(dst + (int64_t)i * ow, src + (int64_t)i * w, sizeof(float) * ow);
    }
  });
  return PVLL_OK;
}

PVLL_API int pvll_crop_backward(const float* dy, float* dx, int n, int c, int h, int w, int top, int left, int oh,
                                int ow, int accumulate) {
  if (int s = check("pvll_crop_backward", dy, dx, n, c, h, w, top, left, oh, ow)) return s;
  pvll::parallel_for((int64_t)n * c, 16, [=](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float* plane = dx + p * h * w;
      const float* src = dy + p * oh * ow;
      if (!accumulate) std::memset(plane, 0, sizeof(float) * h * w);
      for (int i = 0; i < oh; ++i) {
        float* row = plane + (int64_t)(top + i) * w + left;
        for (int j = 0; j < ow; ++j) row[j] += src[(int64_t)i * ow + j];
      }
    }
  });
  return PVLL_OK;
}

// General average pooling: small maps (the auxiliary head's 8x8 -> 2x2), so a direct loop.
namespace {
int pool_check(const char* op, const void* a, const void* b, int n, int c, int h, int w, int k, int s, int p) {
  PVLL_REQUIRE(a && b && n >= 0 && c >= 0 && h > 0 && w > 0 && k > 0 && s > 0 && p >= 0 && p < k && h + 2 * p >= k &&
                   w + 2 * p >= k,
               "%s: bad pooling geometry (input %dx%d, kernel %d, stride %d, padding %d)", op, h, w, k, s, p);
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_avg_pool_forward(const float* x, float* y, int n, int c, int h, int w, int k, int s, int p) {
  if (int st = pool_check("pvll_avg_pool_forward", x, y, n, c, h, w, k, s, p)) return st;
  const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  pvll::parallel_for((int64_t)n * c, 16, [=](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const float* src = x + plane * h * w;
      float* dst = y + plane * oh * ow;
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          const int r0 = std::max(i * s - p, 0), r1 = std::min(i * s - p + k, h);
          const int c0 = std::max(j * s - p, 0), c1 = std::min(j * s - p + k, w);
          float sum = 0.f;
          for (int r = r0; r < r1; ++r)
            for (int q = c0; q < c1; ++q) sum += src[r * w + q];
          dst[i * ow + j] = sum / float((r1 - r0) * (c1 - c0));
        }
    }
  });
  return PVLL_OK;
}

PVLL_API int pvll_avg_pool_backward(const float* dy, float* dx, int n, int c, int h, int w, int k, int s, int p,
                                    int accumulate) {
  if (int st = pool_check("pvll_avg_pool_backward", dy, dx, n, c, h, w, k, s, p)) return st;
  const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  pvll::parallel_for((int64_t)n * c, 16, [=](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      float* dst = dx + plane * h * w;
      const float* src = dy + plane * oh * ow;
      if (!accumulate) std::memset(dst, 0, sizeof(float) * h * w);
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          const int r0 = std::max(i * s - p, 0), r1 = std::min(i * s - p + k, h);
          const int c0 = std::max(j * s - p, 0), c1 = std::min(j * s - p + k, w);
          const float g = src[i * ow + j] / float((r1 - r0) * (c1 - c0));
          for (int r = r0; r < r1; ++r)
            for (int q = c0; q < c1; ++q) dst[r * w + q] += g;
        }
    }
  });
  return PVLL_OK;
}
