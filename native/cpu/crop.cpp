// Spatial crop forward and backward, one (n, c) plane per work item.
#include "pvll_crop.h"

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
