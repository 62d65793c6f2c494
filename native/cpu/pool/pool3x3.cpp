// 3x3 max and average pooling, padding 1, stride 1 or 2, on CPU (NCHW float32): the entry
// points, the shape tables and shared helpers. The per-plane kernels live in
// pool3x3_stride1.cpp and pool3x3_stride2.cpp, those that keep rows in registers (narrow planes)
// in pool3x3_narrow.cpp (see pool3x3_planes.h for the conventions).
//
// Work is split by whole planes: every value is computed by one thread in a fixed order, so
// results are bit-identical for any thread count.
#include "parallel.h"
#include "pool3x3_planes.h"
#include "pvll_pool.h"
#include "status.h"

namespace pvll::pool {

float* padded_copy(float* buf, const float* src, int64_t hw, int64_t w, float value) {
  const int64_t pad = plane_pad(w);
  fill(buf, pad, value);
  float* out = buf + pad;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(out + i, ld<V>(src + i));
  });
  fill(out + hw, pad + kSlack, value);
  return out;
}

bool has_nan(const float* x, int64_t n) {
  i8 any{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    f8 v = ld<f8>(x + i);
    any |= v != v;
  }
  bool nan = false;
  for (int l = 0; l < kLanes; ++l) nan |= any[l] != 0;
  for (; i < n; ++i) nan |= x[i] != x[i];
  return nan;
}

PlaneTables::PlaneTables(int64_t h_, int64_t w_, int stride_)
    : h(h_), w(w_), hw(h_ * w_), ho((h_ - 1) / stride_ + 1), wo((w_ - 1) / stride_ + 1), stride(stride_),
      wp(round_up(wo, kLanes) + kLanes) {
  if (stride == 1) {
    left_ok.resize(hw);
    right_ok.resize(hw);
    first_code.resize(hw);
    inv_count.resize(hw);
    for (int64_t r = 0; r < h; ++r)
      for (int64_t col = 0; col < w; ++col) {
        const int64_t i = r * w + col;
        left_ok[i] = col > 0 ? -1 : 0;
        right_ok[i] = col + 1 < w ? -1 : 0;
        first_code[i] = (r == 0 ? 3 : 0) + (col == 0 ? 1 : 0);
        const int64_t rows = 1 + (r > 0) + (r + 1 < h), cols = 1 + (col > 0) + (col + 1 < w);
        inv_count[i] = 1.f / float(rows * cols);
      }
  } else {
    out_first_code.assign(ho * wp, 0);
    out_inv_count.assign(ho * wo + round_up(wo, kLanes) + kSlack, 0.f);
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow) {
        out_first_code[oh * wp + ow] = (oh == 0 ? 3 : 0) + (ow == 0 ? 1 : 0);
        const int64_t rows = 1 + (oh > 0) + (2 * oh + 1 < h), cols = 1 + (ow > 0) + (2 * ow + 1 < w);
        out_inv_count[oh * wo + ow] = 1.f / float(rows * cols);
      }
  }
}

Scratch::Scratch(const PlaneTables& t) {
  const int64_t padded = t.hw + 2 * plane_pad(t.w) + kSlack;
  const int64_t out_level = (t.ho + 1) * t.wp + kSlack;  // stride 2: padded output-level planes
  this->padded = thread_scratch<float>(0, padded);
  rows = thread_scratch<float>(1, std::max(t.hw + kSlack + kLanes, 3 * 2 * round_up(t.wo, kLanes)));
  plane = thread_scratch<float>(2, t.hw + 2 * t.wp + kSlack);
  sums = thread_scratch<float>(3, t.hw + kSlack);
  codes = thread_scratch<int32_t>(4, std::max(padded, out_level));
  grads = thread_scratch<float>(5, std::max(padded, out_level));
}

}  // namespace pvll::pool

namespace {
using namespace pvll::pool;

int64_t plane_grain(int64_t hw) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw)); }

int check_pool(const char* op, const void* a, const void* b, int64_t planes, int64_t h, int64_t w, int stride) {
  PVLL_REQUIRE(a && b && planes >= 0 && h > 0 && w > 0 && (stride == 1 || stride == 2),
               "%s: bad arguments (planes=%lld h=%lld w=%lld stride=%d)", op, (long long)planes, (long long)h,
               (long long)w, stride);
  return PVLL_OK;
}

/** Bytes the narrow-plane kernels move: `inputs` input-sized tensors and one output-sized one (they
 *  run on the calling thread under inline_bytes(): they move data at close to memory speed). */
int64_t narrow_bytes(const PlaneTables& t, int64_t planes, int inputs) {
  return planes * (inputs * t.hw + t.ho * t.wo) * (int64_t)sizeof(float);
}

/** Runs body(scratch, plane) for every plane, split over the threads by whole planes. */
template <class F>
void for_planes(const PlaneTables& t, int64_t planes, F&& body) {
  pvll::parallel_for(planes, plane_grain(t.hw), [&](int64_t p0, int64_t p1) {
    Scratch scratch(t);
    for (int64_t p = p0; p < p1; ++p) body(scratch, p);
  });
}

}  // namespace

PVLL_API int pvll_max_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride) {
  if (int st = check_pool("pvll_max_pool3x3_forward", x, y, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_max_pool3x3_forward", {
    const PlaneTables t(h, w, stride);
    const int64_t out = t.ho * t.wo;
    if (stride == 2 && narrow_s2(w)) {
      pvll::parallel_for_sized(planes, plane_grain(t.hw), narrow_bytes(t, planes, 1), [&](int64_t p0, int64_t p1) {
        narrow_forward_s2(true, t, x, y, planes, p0, p1);
      });
      return PVLL_OK;
    }
    for_planes(t, planes, [&](Scratch& s, int64_t p) {
      if (stride == 1) max_forward_s1(t, s, x + p * t.hw, y + p * out);
      else max_forward_s2(t, s, x + p * t.hw, y + p * out);
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_max_pool3x3_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h,
                                       int64_t w, int stride, int accumulate) {
  if (int st = check_pool("pvll_max_pool3x3_backward", x, dx, planes, h, w, stride)) return st;
  PVLL_REQUIRE(dy, "pvll_max_pool3x3_backward: dy is NULL");
  PVLL_GUARD("pvll_max_pool3x3_backward", {
    const PlaneTables t(h, w, stride);
    const int64_t out = t.ho * t.wo;
    if (stride == 1 && narrow_max_backward_s1_fits(w)) {
      pvll::parallel_for_sized(planes, plane_grain(t.hw), narrow_bytes(t, planes, accumulate ? 3 : 2),
                               [&](int64_t p0, int64_t p1) {
        narrow_max_backward_s1(t, x, dy, dx, accumulate != 0, planes, p0, p1);
      });
      return PVLL_OK;
    }
    if (stride == 2 && narrow_max_backward_fits(w)) {
      pvll::parallel_for_sized(planes, plane_grain(t.hw), narrow_bytes(t, planes, accumulate ? 3 : 2),
                               [&](int64_t p0, int64_t p1) {
        narrow_max_backward_s2(t, x, dy, dx, accumulate != 0, planes, p0, p1);
      });
      return PVLL_OK;
    }
    for_planes(t, planes, [&](Scratch& s, int64_t p) {
      if (stride == 1)
        max_backward_s1(t, s, x + p * t.hw, dy + p * out, dy, dy + planes * out, dx + p * t.hw, accumulate != 0);
      else max_backward_s2(t, s, x + p * t.hw, dy + p * out, dy + planes * out, dx + p * t.hw, accumulate != 0);
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_avg_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride) {
  if (int st = check_pool("pvll_avg_pool3x3_forward", x, y, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_avg_pool3x3_forward", {
    const PlaneTables t(h, w, stride);
    const int64_t out = t.ho * t.wo;
    if (stride == 2 && narrow_s2(w)) {
      pvll::parallel_for_sized(planes, plane_grain(t.hw), narrow_bytes(t, planes, 1), [&](int64_t p0, int64_t p1) {
        narrow_forward_s2(false, t, x, y, planes, p0, p1);
      });
      return PVLL_OK;
    }
    for_planes(t, planes, [&](Scratch& s, int64_t p) {
      if (stride == 1) avg_forward_s1(t, s, x + p * t.hw, y + p * out);
      else avg_forward_s2(t, s, x + p * t.hw, y + p * out);
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_avg_pool3x3_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int stride,
                                       int accumulate) {
  if (int st = check_pool("pvll_avg_pool3x3_backward", dy, dx, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_avg_pool3x3_backward", {
    const PlaneTables t(h, w, stride);
    const int64_t out = t.ho * t.wo;
    if (stride == 2 && narrow_backward_s2(h, w)) {
      pvll::parallel_for_sized(planes, plane_grain(t.hw), narrow_bytes(t, planes, accumulate ? 2 : 1),
                               [&](int64_t p0, int64_t p1) {
        narrow_avg_backward_s2(t, dy, dx, accumulate != 0, planes, p0, p1);
      });
      return PVLL_OK;
    }
    for_planes(t, planes, [&](Scratch& s, int64_t p) {
      if (stride == 1) avg_backward_s1(t, s, dy + p * out, dx + p * t.hw, accumulate != 0);
      else avg_backward_s2(t, s, dy + p * out, dy + planes * out, dx + p * t.hw, accumulate != 0);
    });
  });
  return PVLL_OK;
}
