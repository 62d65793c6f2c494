// Channel concat/split, drop-path, add, SGD, Adam and the sum of squares: the fast float
// kernels against the double references with 1 and 2 threads (bit-identical across the two);
// finite differences for the ops that have a gradient.
#include "../cpu/ref/optim_ref.h"
#include "../cpu/ref/tensor_ops_ref.h"
#include "layer_checks.h"

namespace ref = pvll::ref;

namespace {

int check_gradients(std::mt19937& gen) {
  const int64_t n = 2, hw = 3;
  const int64_t channels[] = {2, 1, 3};
  dvec a = random_doubles(n * 2 * hw, gen), b = random_doubles(n * 1 * hw, gen), c = random_doubles(n * 3 * hw, gen);
  const dvec r = random_doubles(n * 6 * hw, gen);
  auto loss = [&](const dvec& aa, const dvec& bb, const dvec& cc) {
    const double* xs[] = {aa.data(), bb.data(), cc.data()};
    dvec y(r.size());
    ref::concat_channels<double>(xs, channels, 3, y.data(), n, hw);
    return dot(y, r);
  };
  dvec da(a.size()), db(b.size()), dc(c.size());
  double* dxs[] = {da.data(), db.data(), dc.data()};
  ref::split_channels<double>(r.data(), dxs, channels, 3, n, hw, false);
  int failures = expect_gradient("concat input 0", [&](const dvec& v) { return loss(v, b, c); }, a, da);
  failures += expect_gradient("concat input 1", [&](const dvec& v) { return loss(a, v, c); }, b, db);
  failures += expect_gradient("concat input 2", [&](const dvec& v) { return loss(a, b, v); }, c, dc);

  const dvec mask = {1, 0, 1}, x = random_doubles(3 * 4, gen), rr = random_doubles(3 * 4, gen);
  auto drop_loss = [&](const dvec& v) {
    dvec y(v.size());
    ref::drop_path<double>(v.data(), mask.data(), y.data(), 3, 4, 0.7, false);
    return dot(y, rr);
  };
  dvec dx(x.size());
  ref::drop_path<double>(rr.data(), mask.data(), dx.data(), 3, 4, 0.7, false);
  failures += expect_gradient("drop_path", drop_loss, x, dx);
  return failures;
}

int check_concat(std::mt19937& gen, int64_t n, int64_t hw, std::vector<int64_t> channels) {
  const int count = int(channels.size());
  int64_t total = 0;
  std::vector<fvec> xs;
  for (int64_t ch : channels) {
    total += ch;
    xs.push_back(random_floats(n * ch * hw, gen));
  }
  std::vector<const float*> xp;
  for (auto& v : xs) xp.push_back(v.data());
  fvec ry(n * total), dy = random_floats(n * total * hw, gen);
  ry.resize(n * total * hw);
  ref::concat_channels<float>(xp.data(), channels.data(), count, ry.data(), n, hw);
  std::vector<fvec> rdx(count), rdx_acc(count), fdx(count), fdx_acc(count);
  std::vector<float*> rp, rap, fp, fap;
  for (int i = 0; i < count; ++i) {
    rdx[i].resize(xs[i].size());
    fdx[i].resize(xs[i].size());
    rdx_acc[i] = fdx_acc[i] = random_floats(xs[i].size(), gen);
    rp.push_back(rdx[i].data()), rap.push_back(rdx_acc[i].data());
    fp.push_back(fdx[i].data()), fap.push_back(fdx_acc[i].data());
  }
  ref::split_channels<float>(dy.data(), rp.data(), channels.data(), count, n, hw, false);
  ref::split_channels<float>(dy.data(), rap.data(), channels.data(), count, n, hw, true);
  int failures = 0;
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    fvec fy(ry.size());
    failures += expect_ok("concat", pvll_concat_channels(xp.data(), channels.data(), count, fy.data(), n, hw));
    failures += expect_identical("concat_channels", ry, fy);
    std::vector<fvec> acc_in = fdx_acc;
    std::vector<float*> accp;
    for (auto& v : acc_in) accp.push_back(v.data());
    failures += expect_ok("split", pvll_split_channels(dy.data(), fp.data(), channels.data(), count, n, hw, 0));
    failures += expect_ok("split acc", pvll_split_channels(dy.data(), accp.data(), channels.data(), count, n, hw, 1));
    for (int i = 0; i < count; ++i) {
      failures += expect_identical("split_channels", rdx[i], fdx[i]);
      failures += expect_identical("split_channels accumulate", rdx_acc[i], acc_in[i]);
    }
  }
  return failures;
}

int check_drop_path_add(std::mt19937& gen) {
  int failures = 0;
  const int64_t n = 64, per = 16 * 32 * 32 + 3;
  const fvec x = random_floats(n * per, gen), b = random_floats(n * per, gen), dx0 = random_floats(n * per, gen);
  fvec mask(n);
  for (auto& m : mask) m = float(gen() % 2);
  const float keep = 0.8f;
  dvec ry(n * per), racc(to_double(dx0)), radd(n * per);
  ref::drop_path<double>(to_double(x).data(), to_double(mask).data(), ry.data(), n, per, keep, false);
  ref::drop_path<double>(to_double(x).data(), to_double(mask).data(), racc.data(), n, per, keep, true);
  for (int64_t i = 0; i < n * per; ++i) radd[i] = double(x[i]) + b[i];
  fvec outs[2];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    fvec y(n * per), acc(dx0), sum(n * per);
    failures += expect_ok("drop fwd", pvll_drop_path_forward(x.data(), mask.data(), y.data(), n, per, keep));
    failures += expect_ok("drop bwd", pvll_drop_path_backward(x.data(), mask.data(), acc.data(), n, per, keep, 1));
    failures += expect_ok("add", pvll_add(x.data(), b.data(), sum.data(), n * per));
    failures += expect_near("drop_path forward", ry, y, 0, 2e-7);
    failures += expect_near("drop_path backward accumulate", racc, acc, 1e-7, 2e-7);
    failures += expect_near("add", radd, sum, 0, 6e-8);
    outs[threads - 1] = acc;
  }
  failures += expect_identical("drop_path 1 vs 2 threads", outs[0], outs[1]);
  fvec y(4);
  const int status = pvll_drop_path_forward(x.data(), mask.data(), y.data(), 1, 4, 0.f);
  std::printf("%s keep_prob 0 rejected: %s\n", status == PVLL_ERR_INVALID_ARGUMENT ? "ok  " : "FAIL", pvll_last_error());
  failures += status != PVLL_ERR_INVALID_ARGUMENT;
  return failures;
}

int check_optim(std::mt19937& gen, int64_t n) {
  int failures = 0;
  const fvec p0 = random_floats(n, gen), g = random_floats(n, gen), buf0 = random_floats(n, gen);
  const fvec m0 = random_floats(n, gen, -0.1f, 0.1f), v0 = random_floats(n, gen, 0.f, 0.01f);
  char what[80];
  std::snprintf(what, sizeof what, "n=%lld", (long long)n);
  const float lr = 0.025f, momentum = 0.9f, wd = 3e-4f;
  dvec rp(to_double(p0)), rb(to_double(buf0)), rp2(to_double(p0));
  ref::sgd_step<double>(rp.data(), to_double(g).data(), rb.data(), n, lr, momentum, wd);
  ref::sgd_step<double>(rp2.data(), to_double(g).data(), nullptr, n, lr, 0, wd);
  const float alr = 1e-3f, b1 = 0.5f, b2 = 0.999f, eps = 1e-8f, awd = 1e-3f;
  dvec ap(to_double(p0)), am(to_double(m0)), av(to_double(v0));
  for (int64_t step = 1; step <= 3; ++step)
    ref::adam_step<double>(ap.data(), to_double(g).data(), am.data(), av.data(), n, step, alr, b1, b2, eps, awd);
  fvec outs[2][3];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    const std::string t = std::string(what) + (threads == 1 ? ", 1 thread" : ", 2 threads");
    fvec p(p0), b(buf0), p2(p0);
    failures += expect_ok("sgd", pvll_sgd_step(p.data(), g.data(), b.data(), n, lr, momentum, wd));
    failures += expect_ok("sgd no momentum", pvll_sgd_step(p2.data(), g.data(), nullptr, n, lr, 0.f, wd));
    failures += expect_near(("sgd param " + t).c_str(), rp, p, 1e-7, 1e-6);
    failures += expect_near(("sgd momentum buffer " + t).c_str(), rb, b, 1e-7, 1e-6);
    failures += expect_near(("sgd without momentum " + t).c_str(), rp2, p2, 1e-7, 1e-6);
    fvec q(p0), m(m0), v(v0);
    for (int64_t step = 1; step <= 3; ++step)
      failures += expect_ok("adam", pvll_adam_step(q.data(), g.data(), m.data(), v.data(), n, step, alr, b1, b2, eps, awd));
    failures += expect_near(("adam param " + t).c_str(), ap, q, 1e-7, 1e-6);
    failures += expect_near(("adam m " + t).c_str(), am, m, 1e-7, 1e-6);
    failures += expect_near(("adam v " + t).c_str(), av, v, 1e-9, 1e-6);
    outs[threads - 1][0] = p, outs[threads - 1][1] = q, outs[threads - 1][2] = v;
  }
  for (int k = 0; k < 3; ++k) failures += expect_identical("optimiser 1 vs 2 threads", outs[0][k], outs[1][k]);
  return failures;
}

int check_sum_squares(std::mt19937& gen) {
  int failures = 0;
  std::vector<fvec> bufs;
  std::vector<int64_t> sizes;
  for (int64_t s : {0, 1, 7, 4096 * 3 + 5, 0, 1 << 20, 333, 100003}) {
    bufs.push_back(random_floats(s, gen));
    sizes.push_back(s);
  }
  std::vector<const float*> ptrs;
  std::vector<float*> mptrs;
  for (auto& b : bufs) ptrs.push_back(b.data()), mptrs.push_back(b.data());
  const double expected = ref::sum_squares<float>(ptrs.data(), sizes.data(), int(ptrs.size()));
  double got[2];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    failures += expect_ok("sum_squares", pvll_sum_squares(ptrs.data(), sizes.data(), int(ptrs.size()), &got[threads - 1]));
  }
  const bool close = std::fabs(got[0] - expected) <= 1e-6 * expected, same = got[0] == got[1];
  std::printf("%s sum_squares %.12g vs reference %.12g\n%s sum_squares 1 vs 2 threads\n", close ? "ok  " : "FAIL",
              got[0], expected, same ? "ok  " : "FAIL");
  failures += !close + !same;
  const fvec before = bufs[3];
  failures += expect_ok("scale", pvll_scale_buffers(mptrs.data(), sizes.data(), int(mptrs.size()), 0.5f));
  fvec half(before.size());
  for (size_t i = 0; i < half.size(); ++i) half[i] = before[i] * 0.5f;
  failures += expect_identical("scale_buffers", half, bufs[3]);
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  std::mt19937 gen(test_seed());
  failures += check_gradients(gen);
  failures += check_concat(gen, 64, 1024, {16, 16, 16, 16});
  failures += check_concat(gen, 3, 49, {5, 1, 13});
  failures += check_concat(gen, 1, 1, {2});
  failures += check_drop_path_add(gen);
  failures += check_optim(gen, 1);
  failures += check_optim(gen, 1000003);
  failures += check_sum_squares(gen);
  pvll_set_num_threads(2);
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
