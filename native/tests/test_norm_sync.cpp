// Synchronised batch norm (pvll_norm.h): (1) the double references composed over shards equal
// the double training references on the whole batch (to 1e-12: the formulas); (2) each fast
// kernel against its double reference, bit-identical for 1 and 2 threads; (3) the fast kernels
// over shards, their buffers summed as the all-reduce would, against the fast whole-batch
// training kernels (float tolerance), for several ways of splitting a batch: halves, 1 + rest,
// an empty shard, three shards, in both orders of summation; (4) bad input is rejected.
#include "../cpu/ref/norm_ref.h"
#include "layer_checks.h"

namespace ref = pvll::ref;

namespace {

struct Shape {
  int64_t n, c, hw;
};

std::string describe(Shape s, const std::vector<int64_t>& split) {
  std::string text = "n=" + std::to_string(s.n) + " c=" + std::to_string(s.c) + " hw=" + std::to_string(s.hw) + " split";
  for (int64_t part : split) text += " " + std::to_string(part);
  return text;
}

/** The buffers of the shards summed, as an all-reduce (sum) over ranks gives them. */
dvec add_up(const std::vector<dvec>& parts) {
  dvec total(parts[0].size(), 0.0);
  for (const dvec& part : parts)
    for (size_t i = 0; i < total.size(); ++i) total[i] += part[i];
  return total;
}

int check_reference_composition(std::mt19937& gen) {
  const Shape s{5, 3, 7};
  const std::vector<int64_t> split{2, 3};
  const int64_t size = s.n * s.c * s.hw, plane = s.c * s.hw;
  const dvec x = random_doubles(size, gen, 1, 4), dy = random_doubles(size, gen);
  const dvec gamma = random_doubles(s.c, gen, 0.5, 1.5), beta = random_doubles(s.c, gen);
  dvec y(size), mean(s.c), invstd(s.c), rm(s.c, 0.5), rv(s.c, 2.0), dx(size), dg(s.c), db(s.c);
  ref::batch_norm_train_forward<double>(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                        rm.data(), rv.data(), s.n, s.c, s.hw, 0.1, 1e-5);
  ref::batch_norm_backward<double>(x.data(), dy.data(), mean.data(), invstd.data(), gamma.data(), dx.data(), dg.data(),
                                   db.data(), s.n, s.c, s.hw, false);

  std::vector<dvec> stats;
  int64_t start = 0;
  for (int64_t part : split) {
    stats.emplace_back(2 * s.c + 1);
    ref::batch_norm_stats<double>(x.data() + start * plane, stats.back().data(), part, s.c, s.hw);
    start += part;
  }
  const dvec total = add_up(stats);
  dvec smean(s.c), svar(s.c), sinvstd(s.c), srm(s.c, 0.5), srv(s.c, 2.0), sy(size), sdx(size);
  ref::batch_norm_stats_finish<double>(total.data(), smean.data(), svar.data(), sinvstd.data(), srm.data(), srv.data(),
                                       s.c, 0.1, 1e-5);
  std::vector<dvec> sums;
  dvec sdg(s.c, 0.0), sdb(s.c, 0.0);
  start = 0;
  for (int64_t part : split) {
    const int64_t at = start * plane;
    ref::batch_norm_inference_forward<double>(x.data() + at, gamma.data(), beta.data(), smean.data(), svar.data(),
                                              sy.data() + at, part, s.c, s.hw, 1e-5);
    sums.emplace_back(2 * s.c + 1);
    dvec pdg(s.c), pdb(s.c);
    ref::batch_norm_backward_stats<double>(x.data() + at, dy.data() + at, smean.data(), sinvstd.data(),
                                           sums.back().data(), pdg.data(), pdb.data(), part, s.c, s.hw);
    for (int64_t ch = 0; ch < s.c; ++ch) sdg[ch] += pdg[ch], sdb[ch] += pdb[ch];
    start += part;
  }
  const dvec total_sums = add_up(sums);
  start = 0;
  for (int64_t part : split) {
    const int64_t at = start * plane;
    ref::batch_norm_backward_apply<double>(x.data() + at, dy.data() + at, smean.data(), sinvstd.data(), gamma.data(),
                                           total_sums.data(), sdx.data() + at, part, s.c, s.hw, false);
    start += part;
  }
  auto same = [](const char* what, const dvec& a, const dvec& b) {
    return expect_near(what, a, to_float(b), 1e-6, 1e-6) + [&] {
      double worst = 0;
      for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1 + std::fabs(a[i])));
      const bool ok = worst <= 1e-12;
      std::printf("%s %s in double (worst relative difference %.1e, limit 1e-12)\n", ok ? "ok  " : "FAIL", what, worst);
      return ok ? 0 : 1;
    }();
  };
  int failures = 0;
  failures += same("reference shards: y", y, sy);
  failures += same("reference shards: mean", mean, smean);
  failures += same("reference shards: invstd", invstd, sinvstd);
  failures += same("reference shards: running mean", rm, srm);
  failures += same("reference shards: running var", rv, srv);
  failures += same("reference shards: dx", dx, sdx);
  failures += same("reference shards: dgamma", dg, sdg);
  failures += same("reference shards: dbeta", db, sdb);
  return failures;
}

/** Fast kernels against the references on one shard, and 1 thread against 2. */
int check_fast(std::mt19937& gen, Shape s, bool affine) {
  const int64_t size = s.n * s.c * s.hw;
  const std::string what = describe(s, {s.n}) + (affine ? " affine" : "");
  const fvec x = random_floats(size, gen, 2.f, 5.f), dy = random_floats(size, gen), dx0 = random_floats(size, gen);
  const fvec gamma = random_floats(s.c, gen, 0.5f, 1.5f), rm0 = random_floats(s.c, gen), rv0 = random_floats(s.c, gen, 0.5f, 2.f);
  const float* g = affine ? gamma.data() : nullptr;
  int failures = 0;

  dvec rstats(2 * s.c + 1);
  ref::batch_norm_stats<float>(x.data(), rstats.data(), s.n, s.c, s.hw);
  std::vector<dvec> outs[2];
  std::vector<fvec> fouts[2];
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    const std::string t = what + (threads == 1 ? " 1 thread" : " 2 threads");
    dvec stats(2 * s.c + 1);
    failures += expect_ok("pvll_batch_norm_stats", pvll_batch_norm_stats(x.data(), stats.data(), s.n, s.c, s.hw));
    // sum(x^2) is large against its rounding: relative tolerance only, as for any sum of squares
    failures += expect_near(("stats sum " + t).c_str(), dvec(rstats.begin(), rstats.begin() + s.c),
                            fvec(stats.begin(), stats.begin() + s.c), 1e-6 * double(s.n * s.hw), 1e-6);
    failures += expect_near(("stats sum of squares " + t).c_str(), dvec(rstats.begin() + s.c, rstats.end() - 1),
                            fvec(stats.begin() + s.c, stats.end() - 1), 0, 1e-6);
    failures += expect_near(("stats count " + t).c_str(), {rstats.back()}, {float(stats.back())}, 0, 0);

    fvec mean(s.c), var(s.c), invstd(s.c), rm(rm0), rv(rv0);
    failures += expect_ok("pvll_batch_norm_stats_finish",
                          pvll_batch_norm_stats_finish(stats.data(), mean.data(), var.data(), invstd.data(), rm.data(),
                                                       rv.data(), s.c, 0.1f, 1e-5f));
    dvec rmean(s.c), rvar(s.c), rinvstd(s.c), rrm(to_double(rm0)), rrv(to_double(rv0));
    ref::batch_norm_stats_finish<double>(stats.data(), rmean.data(), rvar.data(), rinvstd.data(), rrm.data(),
                                         rrv.data(), s.c, 0.1, 1e-5);
    failures += expect_near(("finish mean " + t).c_str(), rmean, mean, 0, 1e-7);
    failures += expect_near(("finish var " + t).c_str(), rvar, var, 0, 1e-7);
    failures += expect_near(("finish invstd " + t).c_str(), rinvstd, invstd, 0, 1e-7);
    failures += expect_near(("finish running mean " + t).c_str(), rrm, rm, 1e-7, 1e-7);
    failures += expect_near(("finish running var " + t).c_str(), rrv, rv, 1e-7, 1e-7);

    dvec sums(2 * s.c + 1), rsums(2 * s.c + 1);
    fvec dg(s.c), db(s.c);
    failures += expect_ok("pvll_batch_norm_backward_stats",
                          pvll_batch_norm_backward_stats(x.data(), dy.data(), mean.data(), invstd.data(), sums.data(),
                                                         dg.data(), db.data(), s.n, s.c, s.hw));
    fvec rdg(s.c), rdb(s.c);
    ref::batch_norm_backward_stats<float>(x.data(), dy.data(), mean.data(), invstd.data(), rsums.data(), rdg.data(),
                                          rdb.data(), s.n, s.c, s.hw);
    const double sum_atol = 1e-6 * std::sqrt(double(s.n * s.hw));
    failures += expect_near(("backward sums " + t).c_str(), dvec(rsums.begin(), rsums.end() - 1),
                            fvec(sums.begin(), sums.end() - 1), sum_atol, 1e-5);
    failures += expect_near(("backward dgamma " + t).c_str(), dvec(rsums.begin() + s.c, rsums.end() - 1), dg, sum_atol, 1e-5);
    failures += expect_near(("backward dbeta " + t).c_str(), dvec(rsums.begin(), rsums.begin() + s.c), db, sum_atol, 1e-5);

    fvec dx(size), acc(dx0);
    failures += expect_ok("pvll_batch_norm_backward_apply",
                          pvll_batch_norm_backward_apply(x.data(), dy.data(), mean.data(), invstd.data(), g,
                                                         sums.data(), dx.data(), s.n, s.c, s.hw, 0));
    failures += expect_ok("pvll_batch_norm_backward_apply acc",
                          pvll_batch_norm_backward_apply(x.data(), dy.data(), mean.data(), invstd.data(), g,
                                                         sums.data(), acc.data(), s.n, s.c, s.hw, 1));
    dvec rdx(size), racc(to_double(dx0));
    ref::batch_norm_backward_apply<double>(to_double(x).data(), to_double(dy).data(), to_double(mean).data(),
                                           to_double(invstd).data(), affine ? to_double(gamma).data() : nullptr,
                                           sums.data(), rdx.data(), s.n, s.c, s.hw, false);
    ref::batch_norm_backward_apply<double>(to_double(x).data(), to_double(dy).data(), to_double(mean).data(),
                                           to_double(invstd).data(), affine ? to_double(gamma).data() : nullptr,
                                           sums.data(), racc.data(), s.n, s.c, s.hw, true);
    failures += expect_near(("apply dx " + t).c_str(), rdx, dx, 1e-5, 1e-5);
    failures += expect_near(("apply dx accumulate " + t).c_str(), racc, acc, 1e-5, 1e-5);
    outs[threads - 1] = {stats, sums};
    fouts[threads - 1] = {mean, var, invstd, rm, rv, dg, db, dx, acc};
  }
  for (size_t k = 0; k < 2; ++k) {
    const bool same = std::memcmp(outs[0][k].data(), outs[1][k].data(), outs[0][k].size() * sizeof(double)) == 0;
    std::printf("%s 1 vs 2 threads, %s %s\n", same ? "ok  " : "FAIL", k == 0 ? "stats" : "backward sums", what.c_str());
    failures += same ? 0 : 1;
  }
  for (size_t k = 0; k < fouts[0].size(); ++k)
    failures += expect_identical(("1 vs 2 threads, output " + std::to_string(k) + " " + what).c_str(), fouts[0][k], fouts[1][k]);
  return failures;
}

/** The fast kernels over shards (buffers summed in the given order) against the whole-batch kernels. */
int check_shards(std::mt19937& gen, Shape s, const std::vector<int64_t>& split, bool reverse_sum) {
  const int64_t size = s.n * s.c * s.hw, plane = s.c * s.hw;
  const std::string what = describe(s, split) + (reverse_sum ? " (summed last shard first)" : "");
  const fvec x = random_floats(size, gen, 2.f, 5.f), dy = random_floats(size, gen);
  const fvec gamma = random_floats(s.c, gen, 0.5f, 1.5f), beta = random_floats(s.c, gen);
  const fvec rm0 = random_floats(s.c, gen), rv0 = random_floats(s.c, gen, 0.5f, 2.f);
  int failures = 0;

  // The whole batch in one process.
  fvec y(size), mean(s.c), invstd(s.c), rm(rm0), rv(rv0), dx(size), dg(s.c), db(s.c);
  failures += expect_ok("pvll_batch_norm_train_forward",
                        pvll_batch_norm_train_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                                      invstd.data(), rm.data(), rv.data(), s.n, s.c, s.hw, 0.1f, 1e-5f));
  failures += expect_ok("pvll_batch_norm_backward",
                        pvll_batch_norm_backward(x.data(), dy.data(), mean.data(), invstd.data(), gamma.data(),
                                                 dx.data(), dg.data(), db.data(), s.n, s.c, s.hw, 0));

  // The shards, as ranks would hold them.
  std::vector<dvec> stats;
  int64_t start = 0;
  for (int64_t part : split) {
    stats.emplace_back(2 * s.c + 1);
    failures += expect_ok("pvll_batch_norm_stats",
                          pvll_batch_norm_stats(x.data() + start * plane, stats.back().data(), part, s.c, s.hw));
    start += part;
  }
  if (reverse_sum) std::reverse(stats.begin(), stats.end());
  const dvec total = add_up(stats);
  fvec smean(s.c), svar(s.c), sinvstd(s.c), srm(rm0), srv(rv0), sy(size), sdx(size), sdg(s.c, 0.f), sdb(s.c, 0.f);
  failures += expect_ok("pvll_batch_norm_stats_finish",
                        pvll_batch_norm_stats_finish(total.data(), smean.data(), svar.data(), sinvstd.data(),
                                                     srm.data(), srv.data(), s.c, 0.1f, 1e-5f));
  std::vector<dvec> sums;
  std::vector<fvec> dgs, dbs;
  start = 0;
  for (int64_t part : split) {
    const int64_t at = start * plane;
    if (part > 0)
      failures += expect_ok("pvll_batch_norm_inference_forward",
                            pvll_batch_norm_inference_forward(x.data() + at, gamma.data(), beta.data(), smean.data(),
                                                              svar.data(), sy.data() + at, part, s.c, s.hw, 1e-5f));
    sums.emplace_back(2 * s.c + 1);
    dgs.emplace_back(s.c);
    dbs.emplace_back(s.c);
    failures += expect_ok("pvll_batch_norm_backward_stats",
                          pvll_batch_norm_backward_stats(x.data() + at, dy.data() + at, smean.data(), sinvstd.data(),
                                                         sums.back().data(), dgs.back().data(), dbs.back().data(), part,
                                                         s.c, s.hw));
    start += part;
  }
  if (reverse_sum) std::reverse(sums.begin(), sums.end());
  const dvec total_sums = add_up(sums);
  for (size_t r = 0; r < dgs.size(); ++r)
    for (int64_t ch = 0; ch < s.c; ++ch) sdg[ch] += dgs[r][ch], sdb[ch] += dbs[r][ch];
  start = 0;
  for (int64_t part : split) {
    const int64_t at = start * plane;
    failures += expect_ok("pvll_batch_norm_backward_apply",
                          pvll_batch_norm_backward_apply(x.data() + at, dy.data() + at, smean.data(), sinvstd.data(),
                                                         gamma.data(), total_sums.data(), sdx.data() + at, part, s.c,
                                                         s.hw, 0));
    start += part;
  }
  const double sum_atol = 1e-6 * std::sqrt(double(s.n * s.hw));
  failures += expect_near(("shards vs whole: y " + what).c_str(), to_double(y), sy, 1e-5, 1e-5);
  failures += expect_near(("shards vs whole: mean " + what).c_str(), to_double(mean), smean, 1e-6, 1e-6);
  failures += expect_near(("shards vs whole: invstd " + what).c_str(), to_double(invstd), sinvstd, 0, 1e-5);
  failures += expect_near(("shards vs whole: running mean " + what).c_str(), to_double(rm), srm, 1e-6, 1e-6);
  failures += expect_near(("shards vs whole: running var " + what).c_str(), to_double(rv), srv, 1e-6, 1e-5);
  failures += expect_near(("shards vs whole: dx " + what).c_str(), to_double(dx), sdx, 1e-5, 1e-5);
  failures += expect_near(("shards vs whole: dgamma " + what).c_str(), to_double(dg), sdg, sum_atol, 1e-5);
  failures += expect_near(("shards vs whole: dbeta " + what).c_str(), to_double(db), sdb, sum_atol, 1e-5);
  return failures;
}

int check_rejected(const char* what, int status) {
  const bool ok = status == PVLL_ERR_INVALID_ARGUMENT;
  std::printf("%s %s rejected%s%s\n", ok ? "ok  " : "FAIL", what, ok ? ": " : "", ok ? pvll_last_error() : "");
  return ok ? 0 : 1;
}

}  // namespace

int main() {
  int failures = 0;
  std::mt19937 gen(test_seed());
  failures += check_reference_composition(gen);
  const Shape fast_shapes[] = {{1, 5, 49}, {3, 13, 49}, {2, 19, 196}, {64, 16, 1024}, {5, 7, 1}, {1, 70, 9}};
  for (Shape s : fast_shapes) {
    failures += check_fast(gen, s, true);
    failures += check_fast(gen, s, false);
  }
  pvll_set_num_threads(2);
  const Shape shard_shapes[] = {{4, 5, 49}, {7, 13, 9}, {64, 16, 1024}, {3, 19, 196}};
  for (Shape s : shard_shapes) {
    const std::vector<std::vector<int64_t>> splits = {
        {s.n / 2, s.n - s.n / 2}, {1, s.n - 1}, {0, s.n}, {1, (s.n - 1) / 2, s.n - 1 - (s.n - 1) / 2}};
    for (const auto& split : splits)
      for (bool reverse : {false, true}) failures += check_shards(gen, s, split, reverse);
  }

  dvec one(3, 1.0);
  fvec f(1);
  failures += check_rejected("a batch of one value per channel",
                             pvll_batch_norm_stats_finish(one.data(), f.data(), f.data(), f.data(), nullptr, nullptr, 1,
                                                          0.1f, 1e-5f));
  dvec small{0, 0, 2};
  failures += check_rejected("a batch count below the shard's",
                             pvll_batch_norm_backward_apply(f.data(), f.data(), f.data(), f.data(), nullptr,
                                                            small.data(), f.data(), 1, 1, 4, 0));
  failures += check_rejected("a negative batch", pvll_batch_norm_stats(f.data(), one.data(), -1, 1, 1));
  failures += check_rejected("running mean without running var",
                             pvll_batch_norm_stats_finish(small.data(), f.data(), f.data(), f.data(), f.data(), nullptr,
                                                          1, 0.1f, 1e-5f));
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
