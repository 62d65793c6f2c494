// Tiny test support for the native tests: the tolerance rule |ref - out| <= atol + rtol*|ref|
// (the same rule as dev.pvll.kernels.Tolerance in Java), printing the first mismatches.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

inline int expect_close(const char* what, const float* ref, const float* out, long long n,
                        float atol, float rtol) {
  int bad = 0;
  for (long long i = 0; i < n; ++i) {
    // equal values (infinities too) and NaN where the reference has NaN are right
    if (ref[i] == out[i] || (std::isnan(ref[i]) && std::isnan(out[i]))) continue;
    float diff = std::fabs(ref[i] - out[i]);
    if (!(diff <= atol + rtol * std::fabs(ref[i]))) {
      if (bad < 10) std::printf("  %s: mismatch at %lld: ref %.8g out %.8g\n", what, i, ref[i], out[i]);
      ++bad;
    }
  }
  std::printf("%s %s (%d of %lld outside atol %.1e rtol %.1e)\n", bad ? "FAIL" : "ok  ", what, bad, n, atol, rtol);
  return bad ? 1 : 0;
}

inline std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}
