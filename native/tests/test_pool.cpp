// 3x3 max/avg pooling and global average pooling: finite differences of the double
// references, the fast float kernels against them on odd shapes with 1 and 2 threads
// (bit-identical across the two), and PyTorch's tie, -inf and NaN rules exactly.
#include "../cpu/ref/pool_ref.h"
#include "layer_checks.h"

namespace ref = pvll::ref;

namespace {

struct Shape {
  int64_t planes, h, w;
};

int check_gradients(std::mt19937& gen) {
  int failures = 0;
  for (int stride : {1, 2}) {
    const int64_t planes = 2, h = 5, w = 4, ho = ref::pool3x3_out(h, stride), wo = ref::pool3x3_out(w, stride);
    // Distinct values at least 1e-3 apart keep the max differentiable under a 1e-6 step.
    dvec x(planes * h * w);
    for (size_t i = 0; i < x.size(); ++i) x[i] = double(i) * 1e-2;
    std::shuffle(x.begin(), x.end(), gen);
    const dvec r = random_doubles(planes * ho * wo, gen);
    dvec dx(x.size());
    auto max_loss = [&](const dvec& v) {
      dvec y(r.size());
      ref::max_pool3x3_forward<double>(v.data(), y.data(), planes, h, w, stride);
      return dot(y, r);
    };
    ref::max_pool3x3_backward<double>(x.data(), r.data(), dx.data(), planes, h, w, stride, false);
    failures += expect_gradient(stride == 1 ? "max_pool stride 1" : "max_pool stride 2", max_loss, x, dx);
    auto avg_loss = [&](const dvec& v) {
      dvec y(r.size());
      ref::avg_pool3x3_forward<double>(v.data(), y.data(), planes, h, w, stride);
      return dot(y, r);
    };
    ref::avg_pool3x3_backward<double>(r.data(), dx.data(), planes, h, w, stride, false);
    failures += expect_gradient(stride == 1 ? "avg_pool stride 1" : "avg_pool stride 2", avg_loss, x, dx);
  }
  const dvec x = random_doubles(3 * 7, gen), r = random_doubles(3, gen);
  dvec dx(x.size());
  auto global_loss = [&](const dvec& v) {
    dvec y(3);
    ref::global_avg_pool_forward<double>(v.data(), y.data(), 3, 7);
    return dot(y, r);
  };
  ref::global_avg_pool_backward<double>(r.data(), dx.data(), 3, 7, false);
  failures += expect_gradient("global_avg_pool", global_loss, x, dx);
  return failures;
}

int check_fast(std::mt19937& gen, Shape s, int stride) {
  const int64_t ho = ref::pool3x3_out(s.h, stride), wo = ref::pool3x3_out(s.w, stride);
  const int64_t in_size = s.planes * s.h * s.w, out_size = s.planes * ho * wo;
  char what[120];
  std::snprintf(what, sizeof what, "planes=%lld %lldx%lld stride %d", (long long)s.planes, (long long)s.h,
                (long long)s.w, stride);
  const fvec x = random_floats(in_size, gen), dy = random_floats(out_size, gen), dx0 = random_floats(in_size, gen);
  const dvec xd = to_double(x), dyd = to_double(dy);
  dvec max_y(out_size), avg_y(out_size), max_dx(in_size), avg_dx(in_size), max_acc(to_double(dx0)),
      avg_acc(to_double(dx0));
  ref::max_pool3x3_forward<double>(xd.data(), max_y.data(), s.planes, s.h, s.w, stride);
  ref::avg_pool3x3_forward<double>(xd.data(), avg_y.data(), s.planes, s.h, s.w, stride);
  ref::max_pool3x3_backward<double>(xd.data(), dyd.data(), max_dx.data(), s.planes, s.h, s.w, stride, false);
  ref::avg_pool3x3_backward<double>(dyd.data(), avg_dx.data(), s.planes, s.h, s.w, stride, false);
  ref::max_pool3x3_backward<double>(xd.data(), dyd.data(), max_acc.data(), s.planes, s.h, s.w, stride, true);
  ref::avg_pool3x3_backward<double>(dyd.data(), avg_acc.data(), s.planes, s.h, s.w, stride, true);
  int failures = 0;
  fvec out[2][6];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    const std::string t = std::string(what) + (threads == 1 ? ", 1 thread" : ", 2 threads");
    fvec my(out_size), ay(out_size), mdx(in_size), adx(in_size), macc(dx0), aacc(dx0);
    failures += expect_ok("max fwd", pvll_max_pool3x3_forward(x.data(), my.data(), s.planes, s.h, s.w, stride));
    failures += expect_ok("avg fwd", pvll_avg_pool3x3_forward(x.data(), ay.data(), s.planes, s.h, s.w, stride));
    failures += expect_ok("max bwd", pvll_max_pool3x3_backward(x.data(), dy.data(), mdx.data(), s.planes, s.h, s.w,
                                                               stride, 0));
    failures += expect_ok("avg bwd", pvll_avg_pool3x3_backward(dy.data(), adx.data(), s.planes, s.h, s.w, stride, 0));
    failures += expect_ok("max bwd acc", pvll_max_pool3x3_backward(x.data(), dy.data(), macc.data(), s.planes, s.h,
                                                                   s.w, stride, 1));
    failures += expect_ok("avg bwd acc", pvll_avg_pool3x3_backward(dy.data(), aacc.data(), s.planes, s.h, s.w,
                                                                   stride, 1));
    failures += expect_near(("max_pool forward " + t).c_str(), max_y, my, 0, 0);
    failures += expect_near(("avg_pool forward " + t).c_str(), avg_y, ay, 1e-6, 1e-6);
    failures += expect_near(("max_pool backward " + t).c_str(), max_dx, mdx, 1e-6, 1e-6);
    failures += expect_near(("avg_pool backward " + t).c_str(), avg_dx, adx, 1e-6, 1e-6);
    failures += expect_near(("max_pool backward accumulate " + t).c_str(), max_acc, macc, 1e-6, 1e-6);
    failures += expect_near(("avg_pool backward accumulate " + t).c_str(), avg_acc, aacc, 1e-6, 1e-6);
    fvec* o = out[threads - 1];
    o[0] = my, o[1] = ay, o[2] = mdx, o[3] = adx, o[4] = macc, o[5] = aacc;
  }
  for (int k = 0; k < 6; ++k)
    failures += expect_identical(("pools 1 vs 2 threads, " + std::string(what)).c_str(), out[0][k], out[1][k]);
  return failures;
}

/** Bitwise equal, NaN equal to NaN. */
int expect_same(const char* what, const fvec& ref, const fvec& out) {
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const bool same = (std::isnan(ref[i]) && std::isnan(out[i])) || ref[i] == out[i];
    if (!same && bad++ < 10) std::printf("  %s at %zu: ref %g out %g\n", what, i, ref[i], out[i]);
  }
  std::printf("%s %s (%d of %zu differ)\n", bad ? "FAIL" : "ok  ", what, bad, ref.size());
  return bad ? 1 : 0;
}

/** Many ties, -inf and NaN: the fast kernels must choose exactly as the reference (PyTorch's rules). */
int check_ties(std::mt19937& gen) {
  int failures = 0;
  const float values[] = {-INFINITY, -1.f, 0.f, 0.f, 1.f, 1.f};
  for (int stride : {1, 2})
    for (Shape s : {Shape{6, 7, 7}, Shape{4, 8, 9}, Shape{3, 1, 1}, Shape{2, 2, 3}, Shape{5, 8, 8}, Shape{3, 14, 14},
                    Shape{2, 16, 16}, Shape{3, 9, 15}, Shape{2, 7, 16},
                    Shape{2, 13, 28}, Shape{2, 6, 19}}) {
      const int64_t ho = ref::pool3x3_out(s.h, stride), wo = ref::pool3x3_out(s.w, stride);
      fvec x(s.planes * s.h * s.w);
      for (auto& v : x) v = values[gen() % 6];
      for (int64_t i = 0; i < s.h * s.w; ++i) x[i] = -INFINITY;  // one plane entirely -inf
      x[x.size() - 1 - gen() % (s.h * s.w)] = NAN;
      const fvec dy = random_floats(s.planes * ho * wo, gen);
      fvec ry(dy.size()), rdx(x.size()), fy(dy.size()), fdx(x.size());
      ref::max_pool3x3_forward<float>(x.data(), ry.data(), s.planes, s.h, s.w, stride);
      ref::max_pool3x3_backward<float>(x.data(), dy.data(), rdx.data(), s.planes, s.h, s.w, stride, false);
      failures += expect_ok("max fwd", pvll_max_pool3x3_forward(x.data(), fy.data(), s.planes, s.h, s.w, stride));
      failures += expect_ok("max bwd", pvll_max_pool3x3_backward(x.data(), dy.data(), fdx.data(), s.planes, s.h, s.w,
                                                                 stride, 0));
      char what[120];
      std::snprintf(what, sizeof what, "ties/-inf/NaN %lldx%lld stride %d", (long long)s.h, (long long)s.w, stride);
      failures += expect_same((std::string("max_pool forward ") + what).c_str(), ry, fy);
      failures += expect_same((std::string("max_pool backward ") + what).c_str(), rdx, fdx);
    }
  return failures;
}

int check_global(std::mt19937& gen) {
  int failures = 0;
  for (Shape s : {Shape{64 * 64, 8, 8}, Shape{5, 7, 7}, Shape{3, 1, 1}, Shape{1024, 32, 32}}) {
    const int64_t hw = s.h * s.w;
    const fvec x = random_floats(s.planes * hw, gen), dy = random_floats(s.planes, gen),
               dx0 = random_floats(s.planes * hw, gen);
    dvec ry(s.planes), rdx(s.planes * hw), racc(to_double(dx0));
    ref::global_avg_pool_forward<double>(to_double(x).data(), ry.data(), s.planes, hw);
    ref::global_avg_pool_backward<double>(to_double(dy).data(), rdx.data(), s.planes, hw, false);
    ref::global_avg_pool_backward<double>(to_double(dy).data(), racc.data(), s.planes, hw, true);
    fvec outs[2];
    for (int threads : {1, 2}) {
      pvll_set_num_threads(threads);
      fvec y(s.planes), dx(s.planes * hw), acc(dx0);
      failures += expect_ok("gap fwd", pvll_global_avg_pool_forward(x.data(), y.data(), s.planes, hw));
      failures += expect_ok("gap bwd", pvll_global_avg_pool_backward(dy.data(), dx.data(), s.planes, hw, 0));
      failures += expect_ok("gap bwd acc", pvll_global_avg_pool_backward(dy.data(), acc.data(), s.planes, hw, 1));
      char what[120];
      std::snprintf(what, sizeof what, "planes=%lld hw=%lld, %d thread(s)", (long long)s.planes, (long long)hw, threads);
      failures += expect_near((std::string("global_avg_pool forward ") + what).c_str(), ry, y, 1e-6, 1e-5);
      failures += expect_near((std::string("global_avg_pool backward ") + what).c_str(), rdx, dx, 1e-7, 1e-6);
      failures += expect_near((std::string("global_avg_pool backward accumulate ") + what).c_str(), racc, acc, 1e-6, 1e-6);
      outs[threads - 1] = y;
    }
    failures += expect_identical("global_avg_pool 1 vs 2 threads", outs[0], outs[1]);
  }
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  std::mt19937 gen(test_seed());
  failures += check_gradients(gen);
  const Shape shapes[] = {{3, 7, 7},  {5, 8, 8},   {2, 1, 1},   {4, 1, 5},    {3, 5, 1},   {2, 14, 14},
                          {7, 28, 28}, {1, 9, 13}, {2, 2, 2},   {6, 13, 11},  {1024, 32, 32}, {2048, 16, 16},
                          // stride-2 narrow planes (7 to 16 columns): odd and even heights, last plane at the end
                          {9, 8, 8},   {1, 7, 7},  {3, 8, 7},   {2, 7, 8},    {1, 3, 8},   {3, 16, 16},
                          {5, 14, 14}, {2, 15, 9}, {1, 16, 10}, {3, 5, 12},   {1, 1, 16},  {2, 2, 7},
                          {256, 8, 8}, {130, 7, 7}, {64, 14, 14}, {2, 30, 8}, {3, 17, 12},
                          // stride-2 max-pool backward on rows of 17 to 32 columns (two blocks of windows)
                          {2, 5, 17}, {3, 9, 24}, {2, 11, 31}, {1, 3, 33}, {2, 20, 25}, {40, 32, 32}};
  for (Shape s : shapes)
    for (int stride : {1, 2}) failures += check_fast(gen, s, stride);
  failures += check_ties(gen);
  failures += check_global(gen);
  fvec a(9), b(9);
  if (pvll_max_pool3x3_forward(a.data(), b.data(), 1, 3, 3, 3) != PVLL_ERR_INVALID_ARGUMENT) {
    std::printf("FAIL stride 3 not rejected\n");
    ++failures;
  } else {
    std::printf("ok   stride 3 rejected: %s\n", pvll_last_error());
  }
  pvll_set_num_threads(2);
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
