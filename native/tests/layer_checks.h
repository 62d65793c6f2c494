// Shared checks of the layer-kernel tests: fast float kernels against the double references,
// finite differences of the double references, and bit-identity across thread counts.
#pragma once
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "pvll.h"
#include "test_support.h"

using dvec = std::vector<double>;
using fvec = std::vector<float>;

inline dvec to_double(const fvec& v) { return dvec(v.begin(), v.end()); }
inline fvec to_float(const dvec& v) { return fvec(v.begin(), v.end()); }

/** |ref - out| <= atol + rtol * |ref| with a double reference; prints the first mismatches. */
inline int expect_near(const char* what, const dvec& ref, const fvec& out, double atol, double rtol) {
  if (ref.size() != out.size()) {
    std::printf("FAIL %s: %zu values, expected %zu\n", what, out.size(), ref.size());
    return 1;
  }
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double diff = std::fabs(ref[i] - double(out[i]));
    worst = std::max(worst, diff / (atol + rtol * std::fabs(ref[i])));
    if (!(diff <= atol + rtol * std::fabs(ref[i]))) {
      if (bad < 10) std::printf("  %s: mismatch at %zu: ref %.10g out %.10g\n", what, i, ref[i], out[i]);
      ++bad;
    }
  }
  std::printf("%s %s (%d of %zu outside atol %.1e rtol %.1e; worst %.2f of the tolerance)\n", bad ? "FAIL" : "ok  ",
              what, bad, ref.size(), atol, rtol, worst);
  return bad ? 1 : 0;
}

/** Bit-identical float arrays. */
inline int expect_identical(const char* what, const fvec& a, const fvec& b) {
  const bool same = a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  std::printf("%s %s\n", same ? "ok  " : "FAIL", what);
  return same ? 0 : 1;
}

/**
 * Central differences of the scalar f at x against the analytic gradient, coordinate by
 * coordinate (tiny shapes only): |fd - g| <= tol * (1 + |g|).
 */
inline int expect_gradient(const char* what, const std::function<double(const dvec&)>& f, dvec x,
                           const dvec& analytic, double h = 1e-6, double tol = 1e-6) {
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double up = f(x);
    x[i] = keep - h;
    const double down = f(x);
    x[i] = keep;
    const double fd = (up - down) / (2 * h);
    const double err = std::fabs(fd - analytic[i]) / (1 + std::fabs(analytic[i]));
    worst = std::max(worst, err);
    if (!(err <= tol)) {
      if (bad < 10) std::printf("  %s: d/dx[%zu]: finite difference %.10g analytic %.10g\n", what, i, fd, analytic[i]);
      ++bad;
    }
  }
  std::printf("%s %s finite differences (%d of %zu off; worst relative error %.2e, tol %.0e)\n", bad ? "FAIL" : "ok  ",
              what, bad, x.size(), worst, tol);
  return bad ? 1 : 0;
}

inline double dot(const dvec& a, const dvec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline fvec random_floats(size_t n, std::mt19937& gen, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  fvec v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

inline dvec random_doubles(size_t n, std::mt19937& gen, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> dist(lo, hi);
  dvec v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

/** Fails the test when a call did not return PVLL_OK. */
inline int expect_ok(const char* what, int status) {
  if (status != PVLL_OK) std::printf("FAIL %s returned %d: %s\n", what, status, pvll_last_error());
  return status != PVLL_OK;
}

/** The seed of this run: PVLL_SEED from the environment, else fresh; printed. */
inline unsigned test_seed() {
  const char* fixed = std::getenv("PVLL_SEED");
  unsigned seed = fixed ? unsigned(std::strtoul(fixed, nullptr, 10)) : std::random_device{}();
  std::printf("seed %u (rerun with PVLL_SEED=%u)\n", seed, seed);
  return seed;
}
