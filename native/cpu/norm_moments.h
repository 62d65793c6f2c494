// Per-channel moments and the per-plane affine map shared by the batch-norm kernels
// (norm.cpp: the fused training forward and backward; norm_sync.cpp: the synchronised steps).
// Deterministic: the flush points depend only on the plane sizes, never on the thread count.
// Checked through its users by native/tests/test_norm.cpp and test_norm_sync.cpp.
#pragma once
#include <algorithm>
#include <cstdint>

#include "simd.h"

namespace pvll::norm {
using namespace pvll::simd;

// Channels per task: enough values that a task outweighs waking a thread.
inline int64_t channel_grain(int64_t values_per_channel) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, values_per_channel)); }

/**
 * Running sums of u = p - shift_p and u * (q - shift_q) over the planes of one channel. Lanes
 * accumulate in float across planes and are flushed into double every kFlush values, so short
 * planes (7x7) do not pay a horizontal sum each; the flush points depend only on the plane
 * sizes, so the result is the same for any thread count.
 */
class Moments {
 public:
  Moments(float shift_p, float shift_q) : kp_(splat<f8>(shift_p)), kq_(splat<f8>(shift_q)), sp_(shift_p), sq_(shift_q) {}

  void add(const float* p, const float* q, int64_t len) {
    int64_t i = 0;
    for (; i + 32 <= len; i += 32) {
      f8 u0 = ld<f8>(p + i) - kp_, u1 = ld<f8>(p + i + 8) - kp_, u2 = ld<f8>(p + i + 16) - kp_,
         u3 = ld<f8>(p + i + 24) - kp_;
      f8 v0 = ld<f8>(q + i) - kq_, v1 = ld<f8>(q + i + 8) - kq_, v2 = ld<f8>(q + i + 16) - kq_,
         v3 = ld<f8>(q + i + 24) - kq_;
      a_[0] += u0, a_[1] += u1, a_[2] += u2, a_[3] += u3;
      b_[0] += u0 * v0, b_[1] += u1 * v1, b_[2] += u2 * v2, b_[3] += u3 * v3;
    }
    for (; i + 8 <= len; i += 8) {
      f8 u = ld<f8>(p + i) - kp_, v = ld<f8>(q + i) - kq_;
      a_[0] += u, b_[0] += u * v;
    }
    for (; i < len; ++i) {
      float u = p[i] - sp_, v = q[i] - sq_;
      ta_ += u, tb_ += u * v;
    }
    pending_ += len;
    if (pending_ >= kFlush) flush();
  }

  /** sum(u) and sum(u * v) so far. */
  double sum_u() {
    flush();
    return s1_;
  }
  double sum_uv() {
    flush();
    return s2_;
  }

 private:
  static constexpr int64_t kFlush = 4096;

  void flush() {
    s1_ += hsum_double((a_[0] + a_[1]) + (a_[2] + a_[3])) + ta_;
    s2_ += hsum_double((b_[0] + b_[1]) + (b_[2] + b_[3])) + tb_;
    for (int j = 0; j < 4; ++j) a_[j] = f8{}, b_[j] = f8{};
    ta_ = tb_ = 0.f;
    pending_ = 0;
  }

  f8 a_[4] = {}, b_[4] = {};
  const f8 kp_, kq_;
  const float sp_, sq_;
  float ta_ = 0.f, tb_ = 0.f;
  int64_t pending_ = 0;
  double s1_ = 0, s2_ = 0;
};

/** y = (x - mean) * scale + shift over len values; y may alias x. */
inline void affine_plane(const float* x, float* y, int64_t len, float mean, float scale, float shift) {
  for_lanes(len, [&](int64_t i, auto lane) {
    using V = decltype(lane);
    store(y + i, (ld<V>(x + i) - splat<V>(mean)) * splat<V>(scale) + splat<V>(shift));
  });
}

}  // namespace pvll::norm
