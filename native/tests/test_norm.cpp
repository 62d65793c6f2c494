// Batch norm: finite differences of the double reference, then the fast float kernels against
// the double reference on odd shapes with 1 and 2 threads (bit-identical across the two).
#include "../cpu/ref/norm_ref.h"
#include "layer_checks.h"

namespace ref = pvll::ref;

namespace {

int check_gradients(std::mt19937& gen, bool affine) {
  const int64_t n = 2, c = 3, hw = 5, size = n * c * hw;
  const dvec x = random_doubles(size, gen, -2, 2), r = random_doubles(size, gen);
  const dvec gamma = random_doubles(c, gen, 0.5, 1.5), beta = random_doubles(c, gen);
  auto loss = [&](const dvec& xx, const dvec& gg, const dvec& bb) {
    dvec y(size), mean(c), invstd(c);
    ref::batch_norm_train_forward<double>(xx.data(), affine ? gg.data() : nullptr, affine ? bb.data() : nullptr,
                                          y.data(), mean.data(), invstd.data(), nullptr, nullptr, n, c, hw, 0.1,
                                          1e-5);
    return dot(y, r);
  };
  dvec y(size), mean(c), invstd(c), dx(size), dgamma(c), dbeta(c);
  ref::batch_norm_train_forward<double>(x.data(), affine ? gamma.data() : nullptr, affine ? beta.data() : nullptr,
                                        y.data(), mean.data(), invstd.data(), nullptr, nullptr, n, c, hw, 0.1, 1e-5);
  ref::batch_norm_backward<double>(x.data(), r.data(), mean.data(), invstd.data(), affine ? gamma.data() : nullptr,
                                   dx.data(), dgamma.data(), dbeta.data(), n, c, hw, false);
  int failures = expect_gradient(affine ? "batch_norm dx (affine)" : "batch_norm dx (no affine)",
                                 [&](const dvec& v) { return loss(v, gamma, beta); }, x, dx);
  if (affine) {
    failures += expect_gradient("batch_norm dgamma", [&](const dvec& v) { return loss(x, v, beta); }, gamma, dgamma);
    failures += expect_gradient("batch_norm dbeta", [&](const dvec& v) { return loss(x, gamma, v); }, beta, dbeta);
  }
  // Inference: y is affine in x with slope gamma * invstd.
  const dvec rm = random_doubles(c, gen), rv = random_doubles(c, gen, 0.5, 2);
  auto inference_loss = [&](const dvec& xx) {
    dvec yy(size);
    ref::batch_norm_inference_forward<double>(xx.data(), gamma.data(), beta.data(), rm.data(), rv.data(), yy.data(), n,
                                              c, hw, 1e-5);
    return dot(yy, r);
  };
  dvec expected(size);
  for (int64_t i = 0; i < size; ++i) {
    const int64_t ch = (i / hw) % c;
    expected[i] = r[i] * gamma[ch] / std::sqrt(rv[ch] + 1e-5);
  }
  failures += expect_gradient("batch_norm inference dx", inference_loss, x, expected);
  return failures;
}

struct Shape {
  int64_t n, c, hw;
};

int check_fast(std::mt19937& gen, Shape s, bool affine, bool running) {
  const int64_t size = s.n * s.c * s.hw;
  char what[160];
  std::snprintf(what, sizeof what, "n=%lld c=%lld hw=%lld%s%s", (long long)s.n, (long long)s.c, (long long)s.hw,
                affine ? " affine" : "", running ? " running" : "");
  // An offset far from zero checks that the one-pass moments keep their accuracy.
  const fvec x = random_floats(size, gen, 2.f, 5.f), dy = random_floats(size, gen), dx0 = random_floats(size, gen);
  const fvec gamma = random_floats(s.c, gen, 0.5f, 1.5f), beta = random_floats(s.c, gen);
  const fvec rm0 = random_floats(s.c, gen), rv0 = random_floats(s.c, gen, 0.5f, 2.f);
  const float momentum = 0.1f, eps = 1e-5f;

  dvec dx_(to_double(x)), dgamma(to_double(gamma)), dbeta(to_double(beta)), y(size), mean(s.c), invstd(s.c),
      rm(to_double(rm0)), rv(to_double(rv0));
  ref::batch_norm_train_forward<double>(dx_.data(), affine ? dgamma.data() : nullptr, affine ? dbeta.data() : nullptr,
                                        y.data(), mean.data(), invstd.data(), running ? rm.data() : nullptr,
                                        running ? rv.data() : nullptr, s.n, s.c, s.hw, momentum, eps);
  int failures = 0;
  fvec out[2][5];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    fvec fy(size), fm(s.c), fi(s.c), frm(rm0), frv(rv0);
    failures += expect_ok("pvll_batch_norm_train_forward",
                          pvll_batch_norm_train_forward(x.data(), affine ? gamma.data() : nullptr,
                                                        affine ? beta.data() : nullptr, fy.data(), fm.data(),
                                                        fi.data(), running ? frm.data() : nullptr,
                                                        running ? frv.data() : nullptr, s.n, s.c, s.hw, momentum, eps));
    std::string t = std::string(what) + (threads == 1 ? " 1 thread" : " 2 threads");
    failures += expect_near(("bn train y " + t).c_str(), y, fy, 1e-5, 1e-5);
    failures += expect_near(("bn save_mean " + t).c_str(), mean, fm, 1e-6, 1e-6);
    failures += expect_near(("bn save_invstd " + t).c_str(), invstd, fi, 0, 1e-5);
    if (running) {
      failures += expect_near(("bn running_mean " + t).c_str(), rm, frm, 1e-6, 1e-6);
      failures += expect_near(("bn running_var " + t).c_str(), rv, frv, 1e-6, 1e-5);
    }
    out[threads - 1][0] = fy;

    // Backward from the saved statistics, overwrite and accumulate.
    dvec rdx(size), rdg(s.c), rdb(s.c);
    const dvec sm = to_double(fm), si = to_double(fi);
    ref::batch_norm_backward<double>(dx_.data(), to_double(dy).data(), sm.data(), si.data(),
                                     affine ? dgamma.data() : nullptr, rdx.data(), rdg.data(), rdb.data(), s.n, s.c,
                                     s.hw, false);
    fvec fdx(size), fdg(s.c), fdb(s.c), facc(dx0);
    failures += expect_ok("pvll_batch_norm_backward",
                          pvll_batch_norm_backward(x.data(), dy.data(), fm.data(), fi.data(),
                                                   affine ? gamma.data() : nullptr, fdx.data(), fdg.data(), fdb.data(),
                                                   s.n, s.c, s.hw, 0));
    failures += expect_ok("pvll_batch_norm_backward acc",
                          pvll_batch_norm_backward(x.data(), dy.data(), fm.data(), fi.data(),
                                                   affine ? gamma.data() : nullptr, facc.data(), nullptr, nullptr, s.n,
                                                   s.c, s.hw, 1));
    const double count = double(s.n * s.hw);
    failures += expect_near(("bn dx " + t).c_str(), rdx, fdx, 1e-5, 1e-5);
    failures += expect_near(("bn dgamma " + t).c_str(), rdg, fdg, 1e-6 * std::sqrt(count), 1e-5);
    failures += expect_near(("bn dbeta " + t).c_str(), rdb, fdb, 1e-6 * std::sqrt(count), 1e-5);
    dvec racc(size);
    for (int64_t i = 0; i < size; ++i) racc[i] = rdx[i] + dx0[i];
    failures += expect_near(("bn dx accumulate " + t).c_str(), racc, facc, 1e-5, 1e-5);

    // Inference with the running statistics.
    dvec ry(size);
    const dvec drm = to_double(rm0), drv = to_double(rv0);
    ref::batch_norm_inference_forward<double>(dx_.data(), affine ? dgamma.data() : nullptr,
                                              affine ? dbeta.data() : nullptr, drm.data(), drv.data(), ry.data(), s.n,
                                              s.c, s.hw, eps);
    fvec fyi(size);
    failures += expect_ok("pvll_batch_norm_inference_forward",
                          pvll_batch_norm_inference_forward(x.data(), affine ? gamma.data() : nullptr,
                                                            affine ? beta.data() : nullptr, rm0.data(), rv0.data(),
                                                            fyi.data(), s.n, s.c, s.hw, eps));
    failures += expect_near(("bn inference y " + t).c_str(), ry, fyi, 1e-5, 1e-5);
    out[threads - 1][1] = fm;
    out[threads - 1][2] = fi;
    out[threads - 1][3] = fdx;
    out[threads - 1][4] = fdg;
  }
  for (int k = 0; k < 5; ++k) failures += expect_identical((std::string("bn 1 vs 2 threads ") + what).c_str(), out[0][k], out[1][k]);
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  std::mt19937 gen(test_seed());
  failures += check_gradients(gen, true);
  failures += check_gradients(gen, false);
  const Shape shapes[] = {{1, 5, 49}, {3, 13, 49}, {2, 19, 196}, {64, 16, 1024}, {5, 7, 1}, {1, 70, 9}};
  for (Shape s : shapes) {
    failures += check_fast(gen, s, true, true);
    failures += check_fast(gen, s, false, false);
  }
  fvec one(4);
  if (pvll_batch_norm_train_forward(one.data(), nullptr, nullptr, one.data(), one.data(), one.data(), nullptr, nullptr,
                                    1, 1, 1, 0.1f, 1e-5f) != PVLL_ERR_INVALID_ARGUMENT) {
    std::printf("FAIL one value per channel not rejected\n");
    ++failures;
  } else {
    std::printf("ok   one value per channel rejected: %s\n", pvll_last_error());
  }
  pvll_set_num_threads(2);
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
