// Gumbel stream and fused Gumbel-softmax + argmax: Philox known answers, fast vs the naive
// reference (bit-identical, 1 and 2 threads), offsets, and loose statistics of the draws.
#include <cmath>
#include <cstring>

#include "pvll.h"
#include "test_support.h"

static int check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  return ok ? 0 : 1;
}

static int known_answers() {
  // Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
  const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6,
       0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
       0x24126ea1}};
  int failures = 0;
  for (auto& v : kat) {
    uint32_t out[4];
    pvll_philox4x32_10(v, v + 4, out);
    failures += check(std::memcmp(out, v + 6, sizeof out) == 0, "philox4x32-10 known answer");
  }
  // The key/counter mapping of the stream: seed and counter split into low and high words.
  uint32_t a[4], b[4];
  pvll_gumbel_block_bits(0x299f31d0a4093822ull, 0x85a308d3243f6a88ull, 0x0370734413198a2eull, a);
  failures += check(std::memcmp(a, kat[2] + 6, sizeof a) == 0, "stream block = philox(counter lo/hi, block lo/hi; seed lo/hi)");
  pvll_gumbel_block_bits(1, 2, 3, a);
  pvll_gumbel_block_bits(1, 2, 3, b);
  failures += check(std::memcmp(a, b, sizeof a) == 0, "same (seed, counter, block) gives the same words");
  return failures;
}

static int fast_matches_reference() {
  int failures = 0;
  const long long shapes[][2] = {{28, 8}, {1, 1}, {3, 5}, {1000, 37}, {7, 20001}, {0, 4}};
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    for (auto& s : shapes) {
      long long rows = s[0], cols = s[1], n = rows * cols;
      auto logits = random_vector(n + 1, 7);
      std::vector<float> g_ref(n + 1), w_ref(n + 1), i_ref(rows + 1), g(n + 1), w(n + 1), idx(rows + 1), w2(n + 1), i2(rows + 1);
      float tau = 0.1f + 0.4f * (cols % 3);
      uint64_t seed = 0x1234567890abcdefull + (uint64_t)cols, counter = 41 + (uint64_t)rows;
      int st = pvll_gumbel_softmax_argmax_ref(logits.data(), rows, cols, seed, counter, tau, g_ref.data(), w_ref.data(), i_ref.data());
      st |= pvll_gumbel_softmax_argmax(logits.data(), rows, cols, seed, counter, tau, g.data(), w.data(), idx.data());
      st |= pvll_gumbel_softmax_argmax(logits.data(), rows, cols, seed, counter, tau, nullptr, w2.data(), i2.data());
      char what[128];
      std::snprintf(what, sizeof what, "[%lld, %lld] threads=%d", rows, cols, threads);
      failures += check(st == PVLL_OK, what);
      failures += expect_close("  gumbel", g_ref.data(), g.data(), n, 0, 0);
      failures += expect_close("  weights", w_ref.data(), w.data(), n, 0, 0);
      failures += expect_close("  indices", i_ref.data(), idx.data(), rows, 0, 0);
      failures += expect_close("  weights without gumbel_out", w_ref.data(), w2.data(), n, 0, 0);
      failures += expect_close("  indices without gumbel_out", i_ref.data(), i2.data(), rows, 0, 0);
      std::vector<float> tail(n > 5 ? n - 5 : 0);
      if (!tail.empty()) {
        pvll_gumbel_noise(seed, counter, 5, (long long)tail.size(), tail.data());
        failures += expect_close("  noise at an offset", g.data() + 5, tail.data(), (long long)tail.size(), 0, 0);
      }
    }
  }
  return failures;
}

static int statistics() {
  int failures = 0;
  const long long n = 100000;
  std::vector<float> g(n), h(n);
  pvll_gumbel_noise(2024, 0, 0, n, g.data());
  pvll_gumbel_noise(2024, 1, 0, n, h.data());
  double mean = 0, var = 0, cov = 0, mh = 0;
  for (long long i = 0; i < n; ++i) mean += g[i], mh += h[i];
  mean /= n, mh /= n;
  for (long long i = 0; i < n; ++i) var += (g[i] - mean) * (g[i] - mean), cov += (g[i] - mean) * (h[i] - mh);
  var /= n, cov /= n;
  std::printf("     mean %.4f (Euler gamma 0.5772), variance %.4f (pi^2/6 = 1.6449), corr(counter 0, 1) %.4f\n", mean,
              var, cov / var);
  failures += check(std::fabs(mean - 0.5772157) < 0.02, "mean of 1e5 Gumbel draws near Euler's gamma");
  failures += check(std::fabs(var - 1.6449341) < 0.05, "variance of 1e5 Gumbel draws near pi^2/6");
  failures += check(std::fabs(cov / var) < 0.02, "draws of counters 0 and 1 uncorrelated");
  // Gumbel-max: argmax of logits + g is distributed as softmax(logits), whatever tau.
  const long long rows = 40000, cols = 4;
  const float base[cols] = {0.f, 1.f, -1.f, 0.5f};
  std::vector<float> logits(rows * cols), w(rows * cols), idx(rows);
  for (long long r = 0; r < rows; ++r) std::memcpy(&logits[r * cols], base, sizeof base);
  pvll_gumbel_softmax_argmax(logits.data(), rows, cols, 99, 5, 3.7f, nullptr, w.data(), idx.data());
  double count[cols] = {0}, z = 0;
  for (long long r = 0; r < rows; ++r) count[(int)idx[r]] += 1;
  for (float b : base) z += std::exp(b);
  bool ok = true;
  for (int c = 0; c < cols; ++c) {
    double p = std::exp(base[c]) / z, f = count[c] / rows;
    std::printf("     op %d: frequency %.4f, softmax %.4f\n", c, f, p);
    ok = ok && std::fabs(f - p) < 0.015;
  }
  failures += check(ok, "argmax frequencies match softmax(logits)");
  return failures;
}

int main() {
  int failures = known_answers() + fast_matches_reference() + statistics();
  float w[4], idx[1], x[4] = {0, 0, 0, 0};
  failures += check(pvll_gumbel_softmax_argmax(x, 1, 4, 1, 1, 0.f, nullptr, w, idx) == PVLL_ERR_INVALID_ARGUMENT,
                    "tau = 0 rejected");
  failures += check(pvll_gumbel_softmax_argmax(x, 1, 0, 1, 1, 1.f, nullptr, w, idx) == PVLL_ERR_INVALID_ARGUMENT,
                    "cols = 0 rejected");
  std::printf("     message: %s\n", pvll_last_error());
  return failures ? 1 : 0;
}
