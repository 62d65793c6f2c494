// Linear layer and softmax cross-entropy: finite differences of the double references, the
// fast float kernels against them with 1 and 2 threads (bit-identical across the two), and
// the rejection of bad labels.
#include "../cpu/ref/linear_ref.h"
#include "../cpu/ref/loss_ref.h"
#include "layer_checks.h"

namespace ref = pvll::ref;

namespace {

int check_linear_gradients(std::mt19937& gen) {
  const int64_t n = 3, in = 5, out = 4;
  const dvec x = random_doubles(n * in, gen), w = random_doubles(out * in, gen), b = random_doubles(out, gen),
             r = random_doubles(n * out, gen);
  auto loss = [&](const dvec& xx, const dvec& ww, const dvec& bb) {
    dvec y(n * out);
    ref::linear_forward<double>(xx.data(), ww.data(), bb.data(), y.data(), n, in, out);
    return dot(y, r);
  };
  dvec dx(n * in), dw(out * in), db(out);
  ref::linear_backward<double>(x.data(), w.data(), r.data(), dx.data(), dw.data(), db.data(), n, in, out, false);
  int failures = expect_gradient("linear dx", [&](const dvec& v) { return loss(v, w, b); }, x, dx);
  failures += expect_gradient("linear dw", [&](const dvec& v) { return loss(x, v, b); }, w, dw);
  failures += expect_gradient("linear db", [&](const dvec& v) { return loss(x, w, v); }, b, db);
  return failures;
}

int check_linear_fast(std::mt19937& gen, int64_t n, int64_t in, int64_t out, bool bias) {
  char what[100];
  std::snprintf(what, sizeof what, "linear n=%lld in=%lld out=%lld%s", (long long)n, (long long)in, (long long)out,
                bias ? " bias" : "");
  const fvec x = random_floats(n * in, gen), w = random_floats(out * in, gen), b = random_floats(out, gen),
             dy = random_floats(n * out, gen), dx0 = random_floats(n * in, gen), dw0 = random_floats(out * in, gen),
             db0 = random_floats(out, gen);
  dvec y(n * out), dx(n * in), dw(out * in), db(out), ax(to_double(dx0)), aw(to_double(dw0)), ab(to_double(db0));
  const dvec xd = to_double(x), wd = to_double(w), bd = to_double(b), dyd = to_double(dy);
  ref::linear_forward<double>(xd.data(), wd.data(), bias ? bd.data() : nullptr, y.data(), n, in, out);
  ref::linear_backward<double>(xd.data(), wd.data(), dyd.data(), dx.data(), dw.data(), db.data(), n, in, out, false);
  ref::linear_backward<double>(xd.data(), wd.data(), dyd.data(), ax.data(), aw.data(), ab.data(), n, in, out, true);
  // Float sums of `in` (or n) products: error grows like sqrt(terms) * 6e-8 * magnitude.
  const double atol_y = 1e-6 * std::sqrt(double(in)), atol_w = 1e-6 * std::sqrt(double(n)),
               atol_x = 1e-6 * std::sqrt(double(out));
  int failures = 0;
  fvec outs[2][3];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    const std::string t = std::string(what) + (threads == 1 ? ", 1 thread" : ", 2 threads");
    fvec fy(n * out), fdx(n * in), fdw(out * in), fdb(out), fax(dx0), faw(dw0), fab(db0);
    failures += expect_ok("linear fwd", pvll_linear_forward(x.data(), w.data(), bias ? b.data() : nullptr, fy.data(),
                                                            n, in, out));
    failures += expect_ok("linear bwd", pvll_linear_backward(x.data(), w.data(), dy.data(), fdx.data(), fdw.data(),
                                                             fdb.data(), n, in, out, 0));
    failures += expect_ok("linear bwd acc", pvll_linear_backward(x.data(), w.data(), dy.data(), fax.data(),
                                                                 faw.data(), fab.data(), n, in, out, 1));
    failures += expect_near(("forward " + t).c_str(), y, fy, atol_y, 1e-5);
    failures += expect_near(("dx " + t).c_str(), dx, fdx, atol_x, 1e-5);
    failures += expect_near(("dw " + t).c_str(), dw, fdw, atol_w, 1e-5);
    failures += expect_near(("db " + t).c_str(), db, fdb, atol_w, 1e-5);
    failures += expect_near(("dx accumulate " + t).c_str(), ax, fax, atol_x, 1e-5);
    failures += expect_near(("dw accumulate " + t).c_str(), aw, faw, atol_w, 1e-5);
    failures += expect_near(("db accumulate " + t).c_str(), ab, fab, atol_w, 1e-5);
    fvec nodx(dw0);
    failures += expect_ok("linear bwd no dx", pvll_linear_backward(x.data(), w.data(), dy.data(), nullptr,
                                                                   nodx.data(), nullptr, n, in, out, 0));
    failures += expect_identical(("dw without dx and db " + t).c_str(), fdw, nodx);
    outs[threads - 1][0] = fy, outs[threads - 1][1] = fdx, outs[threads - 1][2] = fdw;
  }
  for (int k = 0; k < 3; ++k) failures += expect_identical(("1 vs 2 threads " + std::string(what)).c_str(), outs[0][k], outs[1][k]);
  return failures;
}

int check_loss_gradient(std::mt19937& gen) {
  const int64_t n = 4, k = 5;
  const dvec z = random_doubles(n * k, gen, -3, 3);
  dvec labels(n);
  for (auto& l : labels) l = double(gen() % k);
  int64_t correct;
  dvec dz(n * k);
  ref::softmax_cross_entropy<double>(z.data(), labels.data(), &correct, dz.data(), n, k);
  auto loss = [&](const dvec& v) {
    int64_t c;
    return ref::softmax_cross_entropy<double>(v.data(), labels.data(), &c, nullptr, n, k);
  };
  return expect_gradient("softmax_cross_entropy dlogits", loss, z, dz);
}

int check_loss_fast(std::mt19937& gen, int64_t n, int64_t k) {
  char what[100];
  std::snprintf(what, sizeof what, "cross-entropy n=%lld k=%lld", (long long)n, (long long)k);
  const fvec z = random_floats(n * k, gen, -4.f, 4.f);
  fvec labels(n);
  for (auto& l : labels) l = float(gen() % k);
  int64_t correct;
  dvec dz(n * k);
  const double loss = ref::softmax_cross_entropy<double>(to_double(z).data(), to_double(labels).data(), &correct,
                                                         dz.data(), n, k);
  int failures = 0;
  fvec outs[2][2];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    const std::string t = std::string(what) + (threads == 1 ? ", 1 thread" : ", 2 threads");
    fvec fl(1), fc(1), fdz(n * k);
    failures += expect_ok("ce", pvll_softmax_cross_entropy(z.data(), labels.data(), fl.data(), fc.data(), fdz.data(),
                                                           n, k));
    failures += expect_near(("loss " + t).c_str(), dvec{loss}, fl, 1e-6, 1e-6);
    failures += expect_near(("correct " + t).c_str(), dvec{double(correct)}, fc, 0, 0);
    failures += expect_near(("dlogits " + t).c_str(), dz, fdz, 1e-7 / double(n), 1e-5);
    outs[threads - 1][0] = fl, outs[threads - 1][1] = fdz;
  }
  for (int j = 0; j < 2; ++j) failures += expect_identical(("1 vs 2 threads " + std::string(what)).c_str(), outs[0][j], outs[1][j]);
  return failures;
}

int check_bad_labels() {
  int failures = 0;
  fvec z(6), l(1), c(1), d(6);
  for (float bad : {-1.f, 3.f, 1.5f, NAN}) {
    fvec labels = {0.f, bad};
    d.assign(6, 42.f);
    const int status = pvll_softmax_cross_entropy(z.data(), labels.data(), l.data(), c.data(), d.data(), 2, 3);
    const bool rejected = status == PVLL_ERR_INVALID_ARGUMENT && d[0] == 42.f;
    std::printf("%s label %g rejected before writing: %s\n", rejected ? "ok  " : "FAIL", (double)bad, pvll_last_error());
    failures += !rejected;
  }
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  std::mt19937 gen(test_seed());
  failures += check_linear_gradients(gen);
  for (bool bias : {true, false}) {
    failures += check_linear_fast(gen, 64, 256, 10, bias);
    failures += check_linear_fast(gen, 1, 7, 3, bias);
    failures += check_linear_fast(gen, 13, 33, 17, bias);
    failures += check_linear_fast(gen, 96, 768, 10, bias);
    failures += check_linear_fast(gen, 64, 16, 64, bias);
    failures += check_linear_fast(gen, 6, 37, 16, bias);  // the dot-product forward: row and input tails
    failures += check_linear_fast(gen, 5, 8, 1, bias);
  }
  failures += check_loss_gradient(gen);
  failures += check_loss_fast(gen, 64, 10);
  failures += check_loss_fast(gen, 1, 1);
  failures += check_loss_fast(gen, 3000, 100);
  failures += check_bad_labels();
  pvll_set_num_threads(2);
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
