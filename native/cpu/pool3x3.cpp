// 3x3 max and average pooling, padding 1, stride 1 or 2, on CPU (NCHW float32).
//
// Each plane is worked as one flat array of h*w values, so the vector loops have one tail per
// plane instead of one per row (7x7 and 14x14 maps are mostly tail otherwise): neighbours in
// the window are at offsets +-1 and +-w; rows above and below the plane come from a padded
// copy, and the column wrap-around of the +-1 neighbours is masked with per-shape tables.
// Stride 2 computes the stride-1 result at full resolution and keeps the window centres
// (2*oh, 2*ow): simple, and still far ahead of libtorch (see benchmarks/RESULTS-layers.md).
//
// The max-pool backward recomputes each window's argmax code (k = 3*kh + kw of the first
// maximum, PyTorch's tie rule, NaN wins) and then gathers: dx[i] sums dy[o] over the outputs
// o whose code points at i. A padding position is never an argmax, so gathering across a row
// wrap finds no matching code and needs no mask. Gathering visits the outputs in increasing
// order, the order in which PyTorch scatters, so the sums round the same way.
//
// Work is split by whole planes: every value is computed by one thread in a fixed order.
#include <cmath>
#include <vector>

#include "parallel.h"
#include "pvll_pool.h"
#include "scratch.h"
#include "simd.h"
#include "status.h"

namespace {
using namespace pvll::simd;

enum Slot { kPaddedIn = 0, kVertical = 1, kFull = 2, kCodes = 3, kGrads = 4 };

constexpr int64_t kSlack = 2 * kLanes;  // room for full-vector reads past either end of a padded array

/** Per plane-shape tables, computed once per call and shared read-only by the threads. */
struct PlaneTables {
  int64_t h, w, hw;
  int stride;
  std::vector<int32_t> left_ok, right_ok;  // -1 where the column has a left / right neighbour
  std::vector<int32_t> first_code;         // code of the window's first in-bounds position
  std::vector<int32_t> centre;             // -1 at window centres of the strided output
  std::vector<float> inv_count;            // 1 / in-bounds window size

  PlaneTables(int64_t h_, int64_t w_, int stride_) : h(h_), w(w_), hw(h_ * w_), stride(stride_) {
    left_ok.resize(hw);
    right_ok.resize(hw);
    first_code.resize(hw);
    centre.resize(hw);
    inv_count.resize(hw);
    for (int64_t r = 0; r < h; ++r)
      for (int64_t col = 0; col < w; ++col) {
        const int64_t i = r * w + col;
        left_ok[i] = col > 0 ? -1 : 0;
        right_ok[i] = col + 1 < w ? -1 : 0;
        first_code[i] = (r == 0 ? 3 : 0) + (col == 0 ? 1 : 0);
        centre[i] = (r % stride == 0 && col % stride == 0) ? -1 : 0;
        const int64_t rows = 1 + (r > 0) + (r + 1 < h), cols = 1 + (col > 0) + (col + 1 < w);
        inv_count[i] = 1.f / float(rows * cols);
      }
  }
  int64_t ho() const { return (h - 1) / stride + 1; }
  int64_t wo() const { return (w - 1) / stride + 1; }
};

template <class V>
inline auto ldi(const int32_t* p) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return *p;
  } else {
    i8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

template <class V>
inline void storei(int32_t* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

template <class V>
inline auto splati(int32_t x) {
  if constexpr (sizeof(V) == sizeof(float)) {
    return x;
  } else {
    return i8{} + x;
  }
}

/**
 * A copy of the hw values at src with at least pad copies of value before and after, the
 * copy starting 32-byte aligned (unaligned rep-movs copies are slow on AMD); returns it.
 */
inline int64_t aligned_pad(int64_t pad) { return (pad + kLanes - 1) / kLanes * kLanes; }

float* padded_copy(int slot, const float* src, int64_t hw, int64_t pad, float value) {
  pad = aligned_pad(pad);
  float* buf = pvll::thread_scratch<float>(slot, hw + 2 * pad + kSlack);
  for (int64_t i = 0; i < pad; ++i) buf[i] = value;
  float* out = buf + pad;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(out + i, ld<V>(src + i));
  });
  for (int64_t i = pad + hw; i < hw + 2 * pad + kSlack; ++i) buf[i] = value;
  return out;
}

/** Keeps the window centres of a full-resolution plane: out[oh][ow] = full[s*oh][s*ow]. */
void subsample(const PlaneTables& t, const float* full, float* out) {
  const int64_t ho = t.ho(), wo = t.wo(), s = t.stride;
  for (int64_t oh = 0; oh < ho; ++oh)
    for (int64_t ow = 0; ow < wo; ++ow) out[oh * wo + ow] = full[(s * oh) * t.w + s * ow];
}

/** Stride-1 3x3 max of one plane into out (hw values). */
void max_plane(const PlaneTables& t, const float* x, float* out) {
  const int64_t w = t.w, hw = t.hw;
  const float* xp = padded_copy(kPaddedIn, x, hw, w + 1, -INFINITY);
  float* v = pvll::thread_scratch<float>(kVertical, hw + kSlack) + kLanes;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(v + i, max_nan(max_nan(ld<V>(xp + i - w), ld<V>(xp + i)), ld<V>(xp + i + w)));
  });
  const int32_t *lok = t.left_ok.data(), *rok = t.right_ok.data();
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V ninf = splat<V>(-INFINITY);
    const auto zero = splati<V>(0);
    V left = ldi<V>(lok + i) < zero ? ld<V>(v + i - 1) : ninf;
    V right = ldi<V>(rok + i) < zero ? ld<V>(v + i + 1) : ninf;
    store(out + i, max_nan(max_nan(left, ld<V>(v + i)), right));
  });
}

/** Stride-1 3x3 in-bounds window sums of one plane times scale[i] into out. */
void box_sum_plane(const PlaneTables& t, const float* x, const float* scale, float* out) {
  const int64_t w = t.w, hw = t.hw;
  const float* xp = padded_copy(kPaddedIn, x, hw, w + 1, 0.f);
  float* v = pvll::thread_scratch<float>(kVertical, hw + kSlack) + kLanes;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(v + i, (ld<V>(xp + i - w) + ld<V>(xp + i)) + ld<V>(xp + i + w));
  });
  const int32_t *lok = t.left_ok.data(), *rok = t.right_ok.data();
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V zero = splat<V>(0.f);
    const auto izero = splati<V>(0);
    V left = ldi<V>(lok + i) < izero ? ld<V>(v + i - 1) : zero;
    V right = ldi<V>(rok + i) < izero ? ld<V>(v + i + 1) : zero;
    V sum = (left + ld<V>(v + i)) + right;
    store(out + i, scale ? sum * ld<V>(scale + i) : sum);
  });
}

/** Whether any of the n values is NaN. */
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

/**
 * Argmax codes of the stride-1 windows of one plane (only centres kept: others -1). NaN
 * handling (a NaN wins) is compiled in only for planes that hold one.
 */
template <bool kNaN>
void max_codes_plane(const PlaneTables& t, const float* xp, int32_t* codes) {
  const int64_t w = t.w, hw = t.hw;
  const int32_t *lok = t.left_ok.data(), *rok = t.right_ok.data(), *first = t.first_code.data(),
                *centre = t.centre.data();
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    const V ninf = splat<V>(-INFINITY);
    const auto zero = splati<V>(0);
    const auto l = ldi<V>(lok + i) < zero, r = ldi<V>(rok + i) < zero;  // sign tests: one blend each
    V best = ninf;
    auto code = ldi<V>(first + i);
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw) {
        V value = ld<V>(xp + i + (kh - 1) * w + (kw - 1));
        if (kw == 0) value = l ? value : ninf;
        if (kw == 2) value = r ? value : ninf;
        auto wins = value > best;
        if constexpr (kNaN) wins = wins | (value != value);
        best = wins ? value : best;
        code = wins ? splati<V>(3 * kh + kw) : code;
      }
    code = ldi<V>(centre + i) < zero ? code : splati<V>(-1);
    storei(codes + i, code);
  });
}

void max_codes_plane(const PlaneTables& t, const float* x, int32_t* codes) {
  const float* xp = padded_copy(kPaddedIn, x, t.hw, t.w + 1, -INFINITY);
  if (has_nan(xp, t.hw)) {
    max_codes_plane<true>(t, xp, codes);
  } else {
    max_codes_plane<false>(t, xp, codes);
  }
}

/** dx of one plane from its full-resolution codes and gradients (both padded by w + 1). */
void max_gather_plane(const PlaneTables& t, const int32_t* codes, const float* grads, float* dx, bool accumulate) {
  const int64_t w = t.w, hw = t.hw;
  for_lanes(hw, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    V acc = splat<V>(0.f);
    // k = 8 .. 0 visits the outputs o = i + (1 - kh) * w + (1 - kw) in increasing order.
    for (int k = 8; k >= 0; --k) {
      const int64_t o = i + (1 - k / 3) * w + (1 - k % 3);
      acc += ldi<V>(codes + o) == splati<V>(k) ? ld<V>(grads + o) : splat<V>(0.f);
    }
    store(dx + i, accumulate ? ld<V>(dx + i) + acc : acc);
  });
}

/** The full-resolution gradient plane of a strided output: dy at window centres, 0 elsewhere. */
float* spread_grads(const PlaneTables& t, const float* dy, const float* scale) {
  const int64_t pad = aligned_pad(t.w + 1), hw = t.hw;
  float* g = pvll::thread_scratch<float>(kGrads, hw + 2 * pad + kSlack);
  std::fill(g, g + hw + 2 * pad + kSlack, 0.f);
  g += pad;
  const int64_t ho = t.ho(), wo = t.wo(), s = t.stride;
  for (int64_t oh = 0; oh < ho; ++oh)
    for (int64_t ow = 0; ow < wo; ++ow) {
      const int64_t i = (s * oh) * t.w + s * ow;
      g[i] = scale ? dy[oh * wo + ow] * scale[i] : dy[oh * wo + ow];
    }
  return g;
}

int64_t plane_grain(int64_t hw) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw)); }

int check_pool(const char* op, const void* a, const void* b, int64_t planes, int64_t h, int64_t w, int stride) {
  PVLL_REQUIRE(a && b && planes >= 0 && h > 0 && w > 0 && (stride == 1 || stride == 2),
               "%s: bad arguments (planes=%lld h=%lld w=%lld stride=%d)", op, (long long)planes, (long long)h,
               (long long)w, stride);
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_max_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride) {
  if (int st = check_pool("pvll_max_pool3x3_forward", x, y, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_max_pool3x3_forward", {
    const PlaneTables t(h, w, stride);
    const int64_t out_plane = t.ho() * t.wo();
    pvll::parallel_for(planes, plane_grain(t.hw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        if (stride == 1) {
          max_plane(t, x + p * t.hw, y + p * out_plane);
        } else {
          float* full = pvll::thread_scratch<float>(kFull, t.hw);
          max_plane(t, x + p * t.hw, full);
          subsample(t, full, y + p * out_plane);
        }
      }
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
    const int64_t out_plane = t.ho() * t.wo(), pad = aligned_pad(w + 1);
    pvll::parallel_for(planes, plane_grain(t.hw), [&](int64_t p0, int64_t p1) {
      int32_t* codes = pvll::thread_scratch<int32_t>(kCodes, t.hw + 2 * pad + kSlack);
      for (int64_t i = 0; i < pad; ++i) codes[i] = -1;
      for (int64_t i = pad + t.hw; i < t.hw + 2 * pad + kSlack; ++i) codes[i] = -1;
      for (int64_t p = p0; p < p1; ++p) {
        max_codes_plane(t, x + p * t.hw, codes + pad);
        const float* grads = stride == 1 ? padded_copy(kGrads, dy + p * out_plane, t.hw, pad, 0.f)
                                         : spread_grads(t, dy + p * out_plane, nullptr);
        max_gather_plane(t, codes + pad, grads, dx + p * t.hw, accumulate != 0);
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_avg_pool3x3_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride) {
  if (int st = check_pool("pvll_avg_pool3x3_forward", x, y, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_avg_pool3x3_forward", {
    const PlaneTables t(h, w, stride);
    const int64_t out_plane = t.ho() * t.wo();
    pvll::parallel_for(planes, plane_grain(t.hw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        if (stride == 1) {
          box_sum_plane(t, x + p * t.hw, t.inv_count.data(), y + p * out_plane);
        } else {
          float* full = pvll::thread_scratch<float>(kFull, t.hw);
          box_sum_plane(t, x + p * t.hw, t.inv_count.data(), full);
          subsample(t, full, y + p * out_plane);
        }
      }
    });
  });
  return PVLL_OK;
}

PVLL_API int pvll_avg_pool3x3_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int stride,
                                       int accumulate) {
  if (int st = check_pool("pvll_avg_pool3x3_backward", dy, dx, planes, h, w, stride)) return st;
  PVLL_GUARD("pvll_avg_pool3x3_backward", {
    const PlaneTables t(h, w, stride);
    const int64_t out_plane = t.ho() * t.wo();
    pvll::parallel_for(planes, plane_grain(t.hw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        // dx = box sum of dy / count (the window is symmetric); strided outputs are first
        // spread to their window centres at full resolution.
        const float* scaled;
        if (stride == 1) {
          float* s = pvll::thread_scratch<float>(kFull, t.hw);
          const float *g = dy + p * out_plane, *inv = t.inv_count.data();
          for_lanes(t.hw, [&](int64_t i, auto lane) {
            using V = decltype(lane);
            store(s + i, ld<V>(g + i) * ld<V>(inv + i));
          });
          scaled = s;
        } else {
          scaled = spread_grads(t, dy + p * out_plane, t.inv_count.data());
        }
        float* dxp = dx + p * t.hw;
        if (!accumulate) {
          box_sum_plane(t, scaled, nullptr, dxp);
        } else {
          float* sums = pvll::thread_scratch<float>(kCodes, t.hw);
          box_sum_plane(t, scaled, nullptr, sums);
          for_lanes(t.hw, [&](int64_t i, auto lane) {
            using V = decltype(lane);
            store(dxp + i, ld<V>(dxp + i) + ld<V>(sums + i));
          });
        }
      }
    });
  });
  return PVLL_OK;
}
