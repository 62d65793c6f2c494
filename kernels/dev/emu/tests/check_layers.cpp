// Runs the CUDA layer kernels against the CPU kernels of libpvll.so on small odd shapes (indexing,
// slices, partial sums, gathers, flags, accumulate on and off), on any CUDA device: ctest runs it
// on the emulated one (check_layers, built with the emulated runtime), and it builds unchanged
// with nvcc. Tensors live in pinned host memory that the kernels read and write directly, the
// device is synchronised after every call; outputs start as NaN.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <new>

#include "pvll.h"
#include "pvll_cuda.h"
#include "pinned.h"
#include "pvll_cuda_graph.h"
#include "pvll_cuda_layers.h"

namespace {
using pvll_check::PinnedVec;
using Vec = PinnedVec<float>;

std::mt19937_64 rng(12345);
int failures = 0, checks = 0;

Vec normal(size_t n, float scale = 1.f, float shift = 0.f) {
  std::normal_distribution<float> d(0.f, 1.f);
  Vec v(n);
  for (auto& x : v) x = d(rng) * scale + shift;
  return v;
}
Vec nans(size_t n) { return Vec(n, NAN); }

void close(const std::string& what, const Vec& ref, const Vec& out, double atol = 1e-5,
           double rtol = 1e-5) {
  ++checks;
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const bool both_nan = std::isnan(ref[i]) && std::isnan(out[i]);
    const double diff = std::fabs((double)ref[i] - out[i]);
    if (!both_nan && !(diff <= atol + rtol * std::fabs(ref[i]))) {
      if (bad < 5) std::printf("  %s at %zu: expected %.9g got %.9g\n", what.c_str(), i, ref[i], out[i]);
      ++bad;
    }
  }
  if (bad) {
    ++failures;
    std::printf("FAIL %s: %d of %zu\n", what.c_str(), bad, ref.size());
  }
}
void close(const std::string& what, double ref, double out, double rtol) {
  close(what, Vec{(float)ref}, Vec{(float)out}, 0, rtol);
}
/** Bit-identical (infinities and NaNs included). */
void same(const std::string& what, const Vec& ref, const Vec& out) {
  ++checks;
  if (ref.size() != out.size() || std::memcmp(ref.data(), out.data(), ref.size() * sizeof(float)) != 0) {
    ++failures;
    std::printf("FAIL %s: not bit-identical\n", what.c_str());
  }
}
void ok(const std::string& what, int status) {
  if (status == PVLL_OK) status = pvll_cuda_synchronize(0);  // the kernels run asynchronously
  if (status != PVLL_OK) {
    ++failures;
    std::printf("FAIL %s: status %d: %s | %s\n", what.c_str(), status, pvll_last_error(), pvll_cuda_last_error());
  }
}

void batch_norm() {
  const int shapes[][4] = {{3, 5, 7, 9}, {2, 3, 1, 1}, {8, 3, 32, 32}, {64, 2, 16, 16}, {5, 2, 33, 17}};
  for (auto& s : shapes) {
    const int64_t n = s[0], c = s[1], hw = (int64_t)s[2] * s[3], size = n * c * hw;
    for (int affine = 0; affine < 2; ++affine)
      for (int acc = 0; acc < 2; ++acc) {
        const std::string at = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(hw) +
                               (affine ? " affine" : "") + (acc ? " acc" : "");
        auto x = normal(size, 3.f, 5.f), gamma = normal(c), beta = normal(c), rm = normal(c), rv = normal(c, 0.1f, 1.f);
        auto y1 = nans(size), y2 = nans(size), m1 = nans(c), m2 = nans(c), i1 = nans(c), i2 = nans(c);
        auto rm2 = rm, rv2 = rv;
        const float* g = affine ? gamma.data() : nullptr;
        const float* b = affine ? beta.data() : nullptr;
        ok("bn fwd cpu", pvll_batch_norm_train_forward(x.data(), g, b, y1.data(), m1.data(), i1.data(), rm.data(),
                                                       rv.data(), n, c, hw, 0.1f, 1e-5f));
        ok("bn fwd cuda", pvll_cuda_batch_norm_train_forward(x.data(), g, b, y2.data(), m2.data(), i2.data(), rm2.data(),
                                                             rv2.data(), n, c, hw, 0.1f, 1e-5f, nullptr));
        close("bn y " + at, y1, y2, 1e-4, 1e-4);
        close("bn mean " + at, m1, m2);
        close("bn invstd " + at, i1, i2, 1e-4, 1e-4);
        close("bn running mean " + at, rm, rm2);
        close("bn running var " + at, rv, rv2, 1e-4, 1e-4);
        auto dy = normal(size), d0 = acc ? normal(size) : nans(size), dx1 = d0, dx2 = d0;
        auto dg1 = nans(c), dg2 = nans(c), db1 = nans(c), db2 = nans(c);
        ok("bn bwd cpu", pvll_batch_norm_backward(x.data(), dy.data(), m1.data(), i1.data(), g, dx1.data(), dg1.data(),
                                                  db1.data(), n, c, hw, acc));
        ok("bn bwd cuda", pvll_cuda_batch_norm_backward(x.data(), dy.data(), m1.data(), i1.data(), g, dx2.data(),
                                                        dg2.data(), db2.data(), n, c, hw, acc, nullptr));
        close("bn dx " + at, dx1, dx2, 1e-4, 1e-4);
        close("bn dgamma " + at, dg1, dg2, 1e-4, 1e-4);
        close("bn dbeta " + at, db1, db2, 1e-4, 1e-4);
        auto z1 = nans(size), z2 = nans(size);
        ok("bn inf cpu", pvll_batch_norm_inference_forward(x.data(), g, b, rm.data(), rv.data(), z1.data(), n, c, hw, 1e-5f));
        ok("bn inf cuda", pvll_cuda_batch_norm_inference_forward(x.data(), g, b, rm.data(), rv.data(), z2.data(), n, c,
                                                                 hw, 1e-5f, nullptr));
        close("bn inference " + at, z1, z2);
      }
  }
}

void pools() {
  const int shapes[][3] = {{6, 7, 9}, {1, 1, 1}, {6, 2, 2}, {3, 33, 17}, {2, 1, 6}, {4, 32, 32}};
  for (auto& s : shapes) {
    const int64_t planes = s[0], h = s[1], w = s[2], size = planes * h * w;
    for (int stride = 1; stride <= 2; ++stride)
      for (int acc = 0; acc < 2; ++acc) {
        const int64_t ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1, osize = planes * ho * wo;
        const std::string at = std::to_string(planes) + "x" + std::to_string(h) + "x" + std::to_string(w) + " s" +
                               std::to_string(stride) + (acc ? " acc" : "");
        auto x = normal(size);
        for (int64_t i = 0; i < size; i += 7) x[i] = x[i > 0 ? i - 1 : 0];
        if (size > 40) x[size / 3] = NAN;
        auto y1 = nans(osize), y2 = nans(osize), dy = normal(osize);
        ok("max fwd", pvll_max_pool3x3_forward(x.data(), y1.data(), planes, h, w, stride));
        ok("max fwd cuda", pvll_cuda_max_pool3x3_forward(x.data(), y2.data(), planes, h, w, stride, nullptr));
        close("max pool fwd " + at, y1, y2, 0, 0);
        auto d0 = acc ? normal(size) : nans(size), dx1 = d0, dx2 = d0;
        ok("max bwd", pvll_max_pool3x3_backward(x.data(), dy.data(), dx1.data(), planes, h, w, stride, acc));
        ok("max bwd cuda", pvll_cuda_max_pool3x3_backward(x.data(), dy.data(), dx2.data(), planes, h, w, stride, acc, nullptr));
        close("max pool bwd " + at, dx1, dx2);
        auto xa = normal(size);
        y1 = nans(osize), y2 = nans(osize);
        ok("avg fwd", pvll_avg_pool3x3_forward(xa.data(), y1.data(), planes, h, w, stride));
        ok("avg fwd cuda", pvll_cuda_avg_pool3x3_forward(xa.data(), y2.data(), planes, h, w, stride, nullptr));
        close("avg pool fwd " + at, y1, y2);
        dx1 = d0, dx2 = d0;
        ok("avg bwd", pvll_avg_pool3x3_backward(dy.data(), dx1.data(), planes, h, w, stride, acc));
        ok("avg bwd cuda", pvll_cuda_avg_pool3x3_backward(dy.data(), dx2.data(), planes, h, w, stride, acc, nullptr));
        close("avg pool bwd " + at, dx1, dx2);
        if (stride == 1) {
          auto g1 = nans(planes), g2 = nans(planes), dg = normal(planes);
          ok("gap", pvll_global_avg_pool_forward(xa.data(), g1.data(), planes, h * w));
          ok("gap cuda", pvll_cuda_global_avg_pool_forward(xa.data(), g2.data(), planes, h * w, nullptr));
          close("gap fwd " + at, g1, g2);
          dx1 = d0, dx2 = d0;
          ok("gap bwd", pvll_global_avg_pool_backward(dg.data(), dx1.data(), planes, h * w, acc));
          ok("gap bwd cuda", pvll_cuda_global_avg_pool_backward(dg.data(), dx2.data(), planes, h * w, acc, nullptr));
          close("gap bwd " + at, dx1, dx2);
        }
      }
  }
  const int geometries[][3] = {{5, 3, 0}, {3, 2, 1}, {2, 2, 0}, {3, 1, 1}, {4, 3, 2}, {1, 1, 0}};
  const int maps[][4] = {{2, 3, 8, 8}, {2, 3, 9, 11}, {1, 2, 5, 4}};
  for (auto& m : maps)
    for (auto& g : geometries) {
      const int n = m[0], c = m[1], h = m[2], w = m[3], k = g[0], st = g[1], p = g[2];
      if (h + 2 * p < k || w + 2 * p < k) continue;
      const int oh = (h + 2 * p - k) / st + 1, ow = (w + 2 * p - k) / st + 1;
      const std::string at = std::to_string(h) + "x" + std::to_string(w) + " k" + std::to_string(k) + " s" +
                             std::to_string(st) + " p" + std::to_string(p);
      auto x = normal((size_t)n * c * h * w), y1 = nans((size_t)n * c * oh * ow), y2 = y1;
      ok("avgk", pvll_avg_pool_forward(x.data(), y1.data(), n, c, h, w, k, st, p));
      ok("avgk cuda", pvll_cuda_avg_pool_forward(x.data(), y2.data(), n, c, h, w, k, st, p, nullptr));
      close("avg pool k fwd " + at, y1, y2);
      for (int acc = 0; acc < 2; ++acc) {
        auto dy = normal(y1.size()), d0 = acc ? normal(x.size()) : nans(x.size()), dx1 = d0, dx2 = d0;
        ok("avgk bwd", pvll_avg_pool_backward(dy.data(), dx1.data(), n, c, h, w, k, st, p, acc));
        ok("avgk bwd cuda", pvll_cuda_avg_pool_backward(dy.data(), dx2.data(), n, c, h, w, k, st, p, acc, nullptr));
        close("avg pool k bwd " + at + (acc ? " acc" : ""), dx1, dx2);
      }
      const int top = h / 2, left = 1, ch = h - top, cw = w - 1;
      auto c1 = nans((size_t)n * c * ch * cw), c2 = c1;
      ok("crop", pvll_crop_forward(x.data(), c1.data(), n, c, h, w, top, left, ch, cw));
      ok("crop cuda", pvll_cuda_crop_forward(x.data(), c2.data(), n, c, h, w, top, left, ch, cw, nullptr));
      close("crop fwd " + at, c1, c2, 0, 0);
      for (int acc = 0; acc < 2; ++acc) {
        auto dy = normal(c1.size()), d0 = acc ? normal(x.size()) : nans(x.size()), dx1 = d0, dx2 = d0;
        ok("crop bwd", pvll_crop_backward(dy.data(), dx1.data(), n, c, h, w, top, left, ch, cw, acc));
        ok("crop bwd cuda", pvll_cuda_crop_backward(dy.data(), dx2.data(), n, c, h, w, top, left, ch, cw, acc, nullptr));
        close("crop bwd " + at + (acc ? " acc" : ""), dx1, dx2, 0, 0);
      }
    }
}

void linear_loss() {
  const int dims[][3] = {{64, 256, 10}, {1, 1, 1}, {7, 33, 5}, {3, 100, 37}};
  for (auto& d : dims) {
    const int64_t n = d[0], in = d[1], out = d[2];
    for (int acc = 0; acc < 2; ++acc) {
      const std::string at = std::to_string(n) + "x" + std::to_string(in) + "->" + std::to_string(out) + (acc ? " acc" : "");
      auto x = normal(n * in), w = normal(out * in), b = normal(out), y1 = nans(n * out), y2 = y1;
      ok("lin", pvll_linear_forward(x.data(), w.data(), b.data(), y1.data(), n, in, out));
      ok("lin cuda", pvll_cuda_linear_forward(x.data(), w.data(), b.data(), y2.data(), n, in, out, nullptr));
      close("linear fwd " + at, y1, y2);
      auto dy = normal(n * out);
      auto dx0 = acc ? normal(n * in) : nans(n * in), dw0 = acc ? normal(out * in) : nans(out * in),
           db0 = acc ? normal(out) : nans(out);
      auto dx1 = dx0, dx2 = dx0, dw1 = dw0, dw2 = dw0, db1 = db0, db2 = db0;
      ok("lin bwd", pvll_linear_backward(x.data(), w.data(), dy.data(), dx1.data(), dw1.data(), db1.data(), n, in, out, acc));
      ok("lin bwd cuda", pvll_cuda_linear_backward(x.data(), w.data(), dy.data(), dx2.data(), dw2.data(), db2.data(), n,
                                                   in, out, acc, nullptr));
      close("linear dx " + at, dx1, dx2);
      close("linear dw " + at, dw1, dw2);
      close("linear db " + at, db1, db2);
    }
  }
  const int ce[][2] = {{64, 10}, {1, 1}, {3, 7}, {500, 10}, {9, 1000}};
  for (auto& d : ce) {
    const int64_t n = d[0], k = d[1];
    auto z = normal(n * k, 4.f);
    if (k > 2) z[1] = z[0];
    Vec labels(n);
    for (auto& l : labels) l = (float)(rng() % k);
    float l1, c1;
    Vec lc(2);
    float &l2 = lc[0], &c2 = lc[1];
    auto g1 = nans(n * k), g2 = g1;
    ok("ce", pvll_softmax_cross_entropy(z.data(), labels.data(), &l1, &c1, g1.data(), n, k));
    ok("ce cuda", pvll_cuda_softmax_cross_entropy(z.data(), labels.data(), &l2, &c2, g2.data(), n, k, nullptr));
    const std::string at = std::to_string(n) + "x" + std::to_string(k);
    close("ce loss " + at, l1, l2, 1e-6);
    close("ce correct " + at, c1, c2, 0);
    close("ce grad " + at, g1, g2);
  }
  Vec z(12, 0.f), labels = {0, 2, 3, 1.5f}, g(12, 7.f);
  Vec lc(2, 0.f);
  float &loss = lc[0], &correct = lc[1];
  ok("ce bad label", pvll_cuda_softmax_cross_entropy(z.data(), labels.data(), &loss, &correct, g.data(), 4, 3, nullptr));
  ++checks;
  if (!std::isnan(loss) || correct != -3.f || g[0] != 7.f) {
    ++failures;
    std::printf("FAIL ce bad label: loss %g correct %g g0 %g\n", loss, correct, g[0]);
  }
}

void tensor_ops() {
  const std::vector<std::vector<int64_t>> sets = {{4, 4, 4, 4}, {1}, {3, 1, 4}, {2, 3, 1, 5, 2, 1, 1, 4, 3, 2}, {0, 5, 0}};
  for (auto& channels : sets)
    for (int acc = 0; acc < 2; ++acc) {
      const int64_t n = 3, hw = 35;
      int64_t total = 0;
      for (auto c : channels) total += c;
      std::vector<Vec> xs, d1, d2;
      std::vector<const float*> xp;
      std::vector<float*> p1, p2;
      for (auto c : channels) {
        xs.push_back(normal(n * c * hw + 1));
        auto d0 = acc ? normal(n * c * hw + 1) : nans(n * c * hw + 1);
        d1.push_back(d0), d2.push_back(d0);
      }
      for (size_t i = 0; i < channels.size(); ++i) xp.push_back(xs[i].data()), p1.push_back(d1[i].data()), p2.push_back(d2[i].data());
      auto y1 = nans(n * total * hw), y2 = y1;
      const int count = (int)channels.size();
      ok("concat", pvll_concat_channels(xp.data(), channels.data(), count, y1.data(), n, hw));
      ok("concat cuda", pvll_cuda_concat_channels(xp.data(), channels.data(), count, y2.data(), n, hw, nullptr));
      close("concat " + std::to_string(count), y1, y2, 0, 0);
      auto dy = normal(n * total * hw);
      ok("split", pvll_split_channels(dy.data(), p1.data(), channels.data(), count, n, hw, acc));
      ok("split cuda", pvll_cuda_split_channels(dy.data(), p2.data(), channels.data(), count, n, hw, acc, nullptr));
      for (int i = 0; i < count; ++i) close("split part " + std::to_string(i) + (acc ? " acc" : ""), d1[i], d2[i], 0, 0);
    }
  for (int64_t n : {1, 5, 64}) {
    const int64_t per = 37, size = n * per;
    auto x = normal(size), mask = Vec(n);
    for (auto& m : mask) m = (rng() & 1) ? 1.f : 0.f;
    auto y1 = nans(size), y2 = y1;
    ok("dp", pvll_drop_path_forward(x.data(), mask.data(), y1.data(), n, per, 0.7f));
    ok("dp cuda", pvll_cuda_drop_path_forward(x.data(), mask.data(), y2.data(), n, per, 0.7f, nullptr));
    close("drop path fwd", y1, y2);
    for (int acc = 0; acc < 2; ++acc) {
      auto d0 = acc ? normal(size) : nans(size), d1 = d0, d2 = d0;
      ok("dpb", pvll_drop_path_backward(x.data(), mask.data(), d1.data(), n, per, 0.7f, acc));
      ok("dpb cuda", pvll_cuda_drop_path_backward(x.data(), mask.data(), d2.data(), n, per, 0.7f, acc, nullptr));
      close("drop path bwd", d1, d2);
    }
    auto a = normal(size), b = normal(size), s1 = nans(size), s2 = s1;
    ok("add", pvll_add(a.data(), b.data(), s1.data(), size));
    ok("add cuda", pvll_cuda_add(a.data(), b.data(), s2.data(), size, nullptr));
    close("add", s1, s2, 0, 0);
  }
  for (int64_t n : {1, 7, 8192, 100001}) {
    auto a = normal(n), b = normal(n);
    double r1 = 0;
    PinnedVec<double> rv(1, 0.0);
    double& r2 = rv[0];
    ok("dot", pvll_dot(a.data(), b.data(), n, &r1));
    ok("dot cuda", pvll_cuda_dot(a.data(), b.data(), n, &r2, nullptr));
    close("dot " + std::to_string(n), r1, r2, 1e-9);
  }
}

void optim() {
  for (int64_t n : {1, 7, 1000, 65537}) {
    auto p1 = normal(n), p2 = p1, b1 = Vec(n), b2 = b1;
    for (int step = 1; step <= 3; ++step) {
      auto g = normal(n);
      ok("sgd", pvll_sgd_step(p1.data(), g.data(), b1.data(), n, 0.025f, 0.9f, 3e-4f));
      ok("sgd cuda", pvll_cuda_sgd_step(p2.data(), g.data(), b2.data(), n, 0.025f, 0.9f, 3e-4f, nullptr));
    }
    close("sgd", p1, p2);
    close("sgd buf", b1, b2);
    auto q1 = normal(n), q2 = q1, m1 = Vec(n), m2 = m1, v1 = m1, v2 = m1;
    for (int step = 1; step <= 3; ++step) {
      auto g = normal(n);
      ok("adam", pvll_adam_step(q1.data(), g.data(), m1.data(), v1.data(), n, step, 3e-4f, 0.5f, 0.999f, 1e-8f, 1e-3f));
      ok("adam cuda", pvll_cuda_adam_step(q2.data(), g.data(), m2.data(), v2.data(), n, step, 3e-4f, 0.5f, 0.999f,
                                          1e-8f, 1e-3f, nullptr));
    }
    close("adam", q1, q2);
    close("adam m", m1, m2);
    close("adam v", v1, v2);
  }
  for (int buffers : {1, 3, 64, 65, 150}) {
    std::vector<Vec> data;
    std::vector<int64_t> sizes;
    for (int i = 0; i < buffers; ++i) {
      const int64_t n = i % 5 == 4 ? 0 : (int64_t)(rng() % 20000);
      data.push_back(normal(n));
      sizes.push_back(n);
    }
    auto copy = data;
    std::vector<float*> p1, p2;
    for (int i = 0; i < buffers; ++i) p1.push_back(data[i].data()), p2.push_back(copy[i].data());
    double s1 = 0;
    PinnedVec<double> sv(1, 0.0);
    double& s2 = sv[0];
    ok("sumsq", pvll_sum_squares(p1.data(), sizes.data(), buffers, &s1));
    ok("sumsq cuda", pvll_cuda_sum_squares(p2.data(), sizes.data(), buffers, &s2, nullptr));
    close("sum squares " + std::to_string(buffers), s1, s2, 1e-6);
    ok("scale", pvll_scale_buffers(p1.data(), sizes.data(), buffers, 0.5f));
    ok("scale cuda", pvll_cuda_scale_buffers(p2.data(), sizes.data(), buffers, 0.5f, nullptr));
    for (int i = 0; i < buffers; ++i) close("scale " + std::to_string(i), data[i], copy[i], 0, 0);
    const double norm = std::sqrt(s1) * 0.5;
    for (float max_norm : {(float)(norm * 2), (float)(norm / 3)}) {
      double cpu_norm = std::sqrt([&] { double s; pvll_sum_squares(p1.data(), sizes.data(), buffers, &s); return s; }());
      const double coef = max_norm / (cpu_norm + 1e-6);
      if (coef < 1) pvll_scale_buffers(p1.data(), sizes.data(), buffers, (float)coef);
      PinnedVec<double> gv(1, 0.0);
      double& got = gv[0];
      ok("clip cuda", pvll_cuda_clip_grad_norm(p2.data(), sizes.data(), buffers, max_norm, &got, nullptr));
      close("clip norm", cpu_norm, got, 1e-6);
      for (int i = 0; i < buffers; ++i) close("clipped " + std::to_string(i), data[i], copy[i]);
    }
  }
}

void gumbel() {
  const int dims[][2] = {{28, 8}, {1, 1}, {3, 5}, {14, 7}, {100, 8}, {2, 1001}};
  for (auto& d : dims) {
    const int64_t rows = d[0], cols = d[1];
    for (int draw = 0; draw < 3; ++draw) {
      const uint64_t seed = rng(), counter = draw ? rng() : 0;
      const float tau = draw == 1 ? 0.37f : 1.f;
      auto logits = normal(rows * cols);
      auto g1 = nans(rows * cols), g2 = g1, w1 = g1, w2 = g1, i1 = nans(rows), i2 = i1, w3 = g1, i3 = i1;
      ok("gumbel", pvll_gumbel_softmax_argmax(logits.data(), rows, cols, seed, counter, tau, g1.data(), w1.data(), i1.data()));
      ok("gumbel cuda", pvll_cuda_gumbel_softmax_argmax(logits.data(), rows, cols, seed, counter, tau, g2.data(),
                                                        w2.data(), i2.data(), nullptr));
      ok("gumbel cuda no noise", pvll_cuda_gumbel_softmax_argmax(logits.data(), rows, cols, seed, counter, tau, nullptr,
                                                                 w3.data(), i3.data(), nullptr));
      close("gumbel indices", i1, i2, 0, 0);
      close("gumbel weights", w1, w2, 0, 0);
      close("gumbel noise", g1, g2, 0, 0);
      close("gumbel weights without noise out", w1, w3, 0, 0);
      close("gumbel indices without noise out", i1, i3, 0, 0);
    }
  }
  for (int64_t offset : {0, 1, 3, 4, 1000003})
    for (int64_t n : {1, 5, 4096}) {
      auto a = nans(n), b = nans(n);
      ok("noise", pvll_gumbel_noise(7, 9, offset, n, a.data()));
      ok("noise cuda", pvll_cuda_gumbel_noise(7, 9, offset, n, b.data(), nullptr));
      close("gumbel noise offset " + std::to_string(offset), a, b, 0, 0);
    }
}
}  // namespace

void step_scalars() {
  for (int64_t n : {1, 7, 1000, 65537}) {
    auto x = normal(n), y1 = normal(n), y2 = y1;
    const Vec alpha = {0.5f, -1.75f, 3.f};
    for (int acc : {0, 1}) {
      ok("scale_add_by", pvll_scale_add_by(x.data(), alpha.data() + 1, y1.data(), n, acc));
      ok("scale_add_by cuda", pvll_cuda_scale_add_by(x.data(), alpha.data() + 1, y2.data(), n, acc, nullptr));
      close("scale_add_by", y1, y2);
    }
    auto p1 = normal(n), p2 = p1, b1 = normal(n), b2 = b1, g = normal(n);
    for (float gate : {1.f, 0.f}) {
      const Vec control = {0.f, 0.025f, gate, 0.f};
      ok("sgd_by", pvll_sgd_step_by(p1.data(), g.data(), b1.data(), n, control.data(), 0.9f, 3e-4f));
      ok("sgd_by cuda", pvll_cuda_sgd_step_by(p2.data(), g.data(), b2.data(), n, control.data(), 0.9f, 3e-4f, nullptr));
      close("sgd_by param", p1, p2);
      close("sgd_by momentum", b1, b2);
    }
  }
  Vec c1 = {0, 0.1f, 0, 0}, c2 = c1, log1(4, -9.f), log2 = log1;
  const Vec lrs = {0.3f, 0.2f};
  for (float loss : {2.5f, INFINITY, 1.f, NAN}) {
    const Vec lc = {loss, 7.f};  // loss and correct
    ok("record_step", pvll_record_step(lc.data(), lc.data() + 1, lrs.data(), c1.data(), log1.data(), 2));
    ok("record_step cuda", pvll_cuda_record_step(lc.data(), lc.data() + 1, lrs.data(), c2.data(), log2.data(), 2, nullptr));
    same("record_step control", c1, c2);
    same("record_step log", log1, log2);
  }
  same("record_step counted past the end", Vec{4, 0.2f, 0, 0}, c1);
  same("record_step log rows", Vec{2.5f, 7, INFINITY, 7}, log1);
}

int main() {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  batch_norm();
  pools();
  linear_loss();
  tensor_ops();
  optim();
  gumbel();
  step_scalars();
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
