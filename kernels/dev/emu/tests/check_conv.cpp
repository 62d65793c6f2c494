// The CUDA conv kernels (kernels/conv_*.cu) against the naive CPU references of libpvll
// (pvll_ref_*), on small odd shapes that reach every path: depthwise tiles with k 3, 5 and
// run-time k, several tiles per plane, the global-memory fallbacks, the K-split weight GEMM,
// bias, accumulate on and off. Outputs are poisoned with NaN first. On any CUDA device: ctest
// runs it on the emulated one (check_conv); tensors in pinned host memory the kernels read and
// write directly, the device synchronised after every call. --quick skips the larger shapes.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <new>

#include "pvll_conv.h"
#include "pvll_cuda.h"
#include "pinned.h"
#include "pvll_cuda_conv.h"
#include "pvll_cuda_layers.h"

namespace {
using pvll_check::PinnedVec;
using Vec = PinnedVec<float>;

int failures = 0;
std::mt19937 gen(12345);

Vec normal(size_t n) {
  std::normal_distribution<float> d(0.f, 1.f);
  Vec v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

void compare(const std::string& what, const Vec& ref, const Vec& out, double terms) {
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double diff = std::fabs((double)ref[i] - out[i]);
    if (!(diff <= 5e-6 * std::sqrt(terms) + 1e-5 * std::fabs(ref[i]))) {
      if (bad < 5) std::printf("  %s at %zu: ref %.7g out %.7g\n", what.c_str(), i, ref[i], out[i]);
      ++bad;
    }
  }
  if (bad) {
    std::printf("FAIL %s: %d of %zu\n", what.c_str(), bad, ref.size());
    ++failures;
  }
}

/** A CUDA call's status, then the device synchronised (the kernels run asynchronously). */
int cuda(int status) {
  if (status == PVLL_OK) status = pvll_cuda_synchronize(0);
  if (status != PVLL_OK) std::printf("  CUDA call failed: %s\n", pvll_cuda_last_error());
  return status;
}

int oute(int in, int k, int s, int p, int d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

void depthwise(int n, int c, int h, int w, int k, int s, int d) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "depthwise n%d c%d %dx%d k%d s%d d%d", n, c, h, w, k, s, d);
  const int oh = (h - 1) / s + 1, ow = (w - 1) / s + 1;
  const size_t xs = (size_t)n * c * h * w, ys = (size_t)n * c * oh * ow, ws = (size_t)c * k * k;
  auto x = normal(xs), wt = normal(ws), dy = normal(ys);
  Vec ry(ys), ro(ys, NAN);
  pvll_ref_depthwise_forward(x.data(), wt.data(), ry.data(), n, c, h, w, k, s, d);
  if (cuda(pvll_cuda_depthwise_forward(x.data(), wt.data(), ro.data(), n, c, h, w, k, s, d, nullptr))) ++failures;
  compare(std::string(buf) + " forward", ry, ro, k * k);
  for (int acc = 0; acc < 2; ++acc) {
    Vec rdx(xs, acc ? 0.5f : NAN), odx(xs, acc ? 0.5f : NAN);
    if (!acc) std::fill(rdx.begin(), rdx.end(), 0.f);
    pvll_ref_depthwise_backward_input(dy.data(), wt.data(), rdx.data(), n, c, h, w, k, s, d, acc);
    if (cuda(pvll_cuda_depthwise_backward_input(dy.data(), wt.data(), odx.data(), n, c, h, w, k, s, d, acc, nullptr))) ++failures;
    compare(std::string(buf) + (acc ? " dx acc" : " dx"), rdx, odx, k * k);
    Vec rdw(ws, acc ? -0.25f : 0.f), odw(ws, acc ? -0.25f : NAN);
    pvll_ref_depthwise_backward_weight(x.data(), dy.data(), rdw.data(), n, c, h, w, k, s, d, acc);
    if (cuda(pvll_cuda_depthwise_backward_weight(x.data(), dy.data(), odw.data(), n, c, h, w, k, s, d, acc, nullptr))) ++failures;
    compare(std::string(buf) + (acc ? " dw acc" : " dw"), rdw, odw, (double)n * oh * ow);
  }
}

void conv(int n, int cin, int h, int w, int cout, int k, int s, int p, int d, bool bias, bool pointwise_api) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s n%d cin%d %dx%d cout%d k%d s%d p%d d%d%s", pointwise_api ? "pointwise" : "conv2d",
                n, cin, h, w, cout, k, s, p, d, bias ? " bias" : "");
  const int oh = oute(h, k, s, p, d), ow = oute(w, k, s, p, d);
  const size_t xs = (size_t)n * cin * h * w, ys = (size_t)n * cout * oh * ow, ws = (size_t)cout * cin * k * k;
  auto x = normal(xs), wt = normal(ws), b = normal(cout), dy = normal(ys);
  Vec ry(ys), ro(ys, NAN);
  pvll_ref_conv2d_forward(x.data(), wt.data(), bias ? b.data() : nullptr, ry.data(), n, cin, h, w, cout, k, k, s, p, d, 1);
  int st = pointwise_api ? pvll_cuda_pointwise_forward(x.data(), wt.data(), ro.data(), n, cin, h, w, cout, nullptr)
                         : pvll_cuda_conv2d_forward(x.data(), wt.data(), bias ? b.data() : nullptr, ro.data(), n, cin, h,
                                                    w, cout, k, k, s, p, d, nullptr);
  if (cuda(st)) ++failures;
  compare(std::string(buf) + " forward", ry, ro, cin * k * k);
  for (int acc = 0; acc < 2; ++acc) {
    Vec rdx(xs, acc ? 0.5f : 0.f), odx(xs, acc ? 0.5f : NAN);
    pvll_ref_conv2d_backward_input(dy.data(), wt.data(), rdx.data(), n, cin, h, w, cout, k, k, s, p, d, 1, acc);
    st = pointwise_api
             ? pvll_cuda_pointwise_backward_input(dy.data(), wt.data(), odx.data(), n, cin, h, w, cout, acc, nullptr)
             : pvll_cuda_conv2d_backward_input(dy.data(), wt.data(), odx.data(), n, cin, h, w, cout, k, k, s, p, d, acc,
                                               nullptr);
    if (cuda(st)) ++failures;
    compare(std::string(buf) + (acc ? " dx acc" : " dx"), rdx, odx, cout * k * k);
    Vec rdw(ws, acc ? -0.25f : 0.f), odw(ws, acc ? -0.25f : NAN);
    Vec rdb(cout, acc ? 2.f : 0.f), odb(cout, acc ? 2.f : NAN);
    pvll_ref_conv2d_backward_weight(x.data(), dy.data(), rdw.data(), bias ? rdb.data() : nullptr, n, cin, h, w, cout, k,
                                    k, s, p, d, 1, acc);
    st = pointwise_api ? pvll_cuda_pointwise_backward_weight(x.data(), dy.data(), odw.data(), n, cin, h, w, cout, acc,
                                                             nullptr)
                       : pvll_cuda_conv2d_backward_weight(x.data(), dy.data(), odw.data(), bias ? odb.data() : nullptr,
                                                          n, cin, h, w, cout, k, k, s, p, d, acc, nullptr);
    if (cuda(st)) ++failures;
    compare(std::string(buf) + (acc ? " dw acc" : " dw"), rdw, odw, (double)n * oh * ow);
    if (bias) compare(std::string(buf) + (acc ? " db acc" : " db"), rdb, odb, (double)n * oh * ow);
  }
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int d : {1, 2}) {
        depthwise(2, 3, 7, 7, k, s, d);
        depthwise(1, 2, 9, 11, k, s, d);
        if (!quick) depthwise(1, 2, 40, 37, k, s, d);  // several tiles per plane
      }
  depthwise(2, 3, 8, 8, 7, 1, 3);   // run-time k tiles, global-memory weight gradient
  depthwise(2, 3, 13, 12, 1, 2, 1);
  depthwise(1, 2, 9, 10, 15, 2, 8); // window too large for shared memory: every direction direct
  depthwise(5, 70, 4, 4, 3, 1, 1);  // many channels: several splits per channel
  conv(2, 16, 5, 6, 8, 1, 1, 0, 1, false, true);
  conv(3, 17, 5, 9, 13, 1, 1, 0, 1, false, true);
  conv(2, 70, 3, 3, 140, 1, 1, 0, 1, false, true);  // several tiles in M and N
  conv(2, 3, 8, 8, 20, 3, 1, 1, 1, true, false);    // stem
  conv(2, 16, 9, 9, 8, 1, 2, 0, 1, false, false);   // FactorizedReduce, odd map
  conv(3, 16, 2, 2, 24, 2, 1, 0, 1, true, false);   // aux head 2x2
  conv(3, 16, 2, 2, 24, 1, 1, 0, 1, true, false);   // aux head 1x1: the pointwise path with bias
  conv(1, 3, 11, 10, 7, 5, 1, 2, 1, true, false);
  conv(2, 5, 9, 8, 6, 3, 2, 2, 2, true, false);
  conv(1, 4, 7, 7, 6, 2, 2, 0, 1, false, false);
  if (!quick) conv(16, 8, 16, 16, 12, 3, 1, 1, 1, true, false);  // K split of the weight GEMM
  std::printf("conv kernels against the CPU references: %d failures\n", failures);
  return failures ? 1 : 0;
}
