// The CUDA synchronised batch-norm kernels (end of kernels/norm.cu) against the CPU kernels of
// libpvll.so (native/cpu/norm_sync.cpp), on odd shapes and an empty shard: per-shard sums, finish
// (bit-identical), backward sums, dx. ctest runs it on the emulated CUDA device (check_sync_norm,
// built with the emulated runtime, like check_layers); it builds unchanged with nvcc. Tensors live
// in pinned host memory that the kernels read and write directly; the device is synchronised after
// every call. The GPU check is SyncBatchNormCudaTest.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "pvll.h"
#include "pvll_cuda.h"
#include "pinned.h"
template <class T> using Vec = pvll_check::PinnedVec<T>;
std::mt19937_64 rng(7);
int failures = 0, checks = 0;
Vec<float> normal(size_t n, float scale = 1.f, float shift = 0.f) {
  std::normal_distribution<float> d(0.f, 1.f); Vec<float> v(n); for (auto& x : v) x = d(rng) * scale + shift; return v; }
template <class T> void close(const std::string& what, const Vec<T>& a, const Vec<T>& b, double atol, double rtol) {
  ++checks; int bad = 0;
  for (size_t i = 0; i < a.size(); ++i) { double d = std::fabs((double)a[i] - (double)b[i]);
    if (!(d <= atol + rtol * std::fabs((double)a[i]))) { if (bad < 5) std::printf("  %s at %zu: %.10g vs %.10g\n", what.c_str(), i, (double)a[i], (double)b[i]); ++bad; } }
  if (bad) { ++failures; std::printf("FAIL %s (%d of %zu)\n", what.c_str(), bad, a.size()); }
}
void ok(const char* w, int s) {
  if (s == PVLL_OK) s = pvll_cuda_synchronize(0);  // the kernels run asynchronously
  if (s) { ++failures; std::printf("FAIL %s: %s | %s\n", w, pvll_last_error(), pvll_cuda_last_error()); } }
int main() {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  const int shapes[][4] = {{3, 5, 7, 9}, {0, 4, 3, 3}, {2, 3, 1, 1}, {8, 3, 32, 32}, {64, 2, 16, 16}, {5, 2, 33, 17}};
  for (auto& s : shapes) {
    const int64_t n = s[0], c = s[1], hw = (int64_t)s[2] * s[3], size = n * c * hw;
    const std::string at = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(hw);
    auto x = normal(size, 3.f, 5.f), dy = normal(size), gamma = normal(c);
    Vec<double> st1(2 * c + 1, NAN), st2(2 * c + 1, NAN);
    ok("stats cpu", pvll_batch_norm_stats(x.data(), st1.data(), n, c, hw));
    ok("stats cuda", pvll_cuda_batch_norm_stats(x.data(), st2.data(), n, c, hw, nullptr));
    close("stats " + at, st1, st2, 1e-6 * (1 + size), 1e-6);
    // a batch: this shard's stats plus a fixed other shard's, so that finish has a count above 1
    Vec<double> total(st1);
    total[2 * c] += 7;
    for (int64_t ch = 0; ch < c; ++ch) total[ch] += 7 * 0.5, total[c + ch] += 7 * 1.25;
    auto m1 = normal(c), m2 = m1, v1 = m1, v2 = m1, i1 = m1, i2 = m1, rm1 = normal(c), rm2 = rm1, rv1 = normal(c, 0.1f, 1.f), rv2 = rv1;
    ok("finish cpu", pvll_batch_norm_stats_finish(total.data(), m1.data(), v1.data(), i1.data(), rm1.data(), rv1.data(), c, 0.1f, 1e-5f));
    ok("finish cuda", pvll_cuda_batch_norm_stats_finish(total.data(), m2.data(), v2.data(), i2.data(), rm2.data(), rv2.data(), c, 0.1f, 1e-5f, nullptr));
    close("finish mean " + at, m1, m2, 0, 0); close("finish var " + at, v1, v2, 0, 0); close("finish invstd " + at, i1, i2, 0, 0);
    close("finish running " + at, rv1, rv2, 0, 0); close("finish running mean " + at, rm1, rm2, 0, 0);
    for (int affine = 0; affine < 2; ++affine) for (int acc = 0; acc < 2; ++acc) {
      const float* g = affine ? gamma.data() : nullptr;
      Vec<double> s1(2 * c + 1, NAN), s2(2 * c + 1, NAN);
      auto dg1 = normal(c), dg2 = dg1, db1 = dg1, db2 = dg1;
      ok("bstats cpu", pvll_batch_norm_backward_stats(x.data(), dy.data(), m1.data(), i1.data(), s1.data(), dg1.data(), db1.data(), n, c, hw));
      ok("bstats cuda", pvll_cuda_batch_norm_backward_stats(x.data(), dy.data(), m1.data(), i1.data(), s2.data(), dg2.data(), db2.data(), n, c, hw, nullptr));
      close("backward sums " + at, s1, s2, 1e-5 * std::sqrt(1.0 + size), 1e-5);
      close("dgamma " + at, dg1, dg2, 1e-4, 1e-4); close("dbeta " + at, db1, db2, 1e-4, 1e-4);
      Vec<double> tot(s1); tot[2 * c] += 7;
      auto d0 = normal(size), dx1 = acc ? d0 : Vec<float>(size, NAN), dx2 = dx1;
      ok("apply cpu", pvll_batch_norm_backward_apply(x.data(), dy.data(), m1.data(), i1.data(), g, tot.data(), dx1.data(), n, c, hw, acc));
      ok("apply cuda", pvll_cuda_batch_norm_backward_apply(x.data(), dy.data(), m1.data(), i1.data(), g, tot.data(), dx2.data(), n, c, hw, acc, nullptr));
      close("apply dx " + at + (affine ? " affine" : "") + (acc ? " acc" : ""), dx1, dx2, 1e-4, 1e-4);
    }
  }
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
