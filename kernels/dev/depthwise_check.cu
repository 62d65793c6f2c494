// Scratch check-and-time program for the depthwise kernels of kernels/conv_depthwise.cu (the
// production versions, called through the C API of pvll_cuda_conv.h).
//   1. Checks forward, input gradient and weight gradient, accumulate off and on, against a
//      naive CPU loop in double, on fresh random inputs (seed printed; --seed N to repeat),
//      outputs poisoned with NaN before every run; |ref - out| <= atol + rtol |ref| with
//      atol = 1e-6 sqrt(terms) (5e-6 for the weight gradient's long sums), rtol = 1e-5, and
//      ||out - ref|| / ||ref|| printed; the first mismatches are printed, then it stops at ten.
//      The weight gradient must be bit-identical on a second run.
//   2. Times each op at the search shapes (batch 64; C=16 32x32, C=32 16x16, C=64 8x8) for
//      k 3 and 5, stride 1 and 2, dilation 1 and 2 with CUDA events: 20 launches per sample,
//      the median of 50 samples, inputs rotated over 8 sets so repeated runs do not just
//      measure L2. Prints us per call, GB/s (each input read once, each output written once)
//      and that as a share of the measured device-to-device copy bandwidth.
// Build and run (from the repository root; bash kernels/dev/build.sh does the same):
//   nvcc -O3 -std=c++17 -arch=sm_90 --use_fast_math -Inative/include -Ikernels \
//     -DPVLL_CUDA_BUILD_STATUS='"dev"' kernels/dev/depthwise_check.cu kernels/conv_depthwise.cu \
//     kernels/conv_common.cu kernels/runtime.cu -o depthwise_check && ./depthwise_check
// Exit status: 0 when every check passed, 1 otherwise.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "pvll_cuda.h"

#define CHECK_CUDA(call)                                                                          \
  do {                                                                                            \
    cudaError_t e_ = (call);                                                                      \
    if (e_ != cudaSuccess) {                                                                      \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      std::exit(2);                                                                               \
    }                                                                                             \
  } while (0)

#define CHECK_PVLL(call)                                                                            \
  do {                                                                                              \
    int s_ = (call);                                                                                \
    if (s_ != 0) {                                                                                  \
      std::fprintf(stderr, "%s:%d: %s -> status %d: %s\n", __FILE__, __LINE__, #call, s_, pvll_cuda_last_error()); \
      std::exit(2);                                                                                 \
    }                                                                                               \
  } while (0)

namespace {

struct Shape {
  int n, c, h, w, k, stride, dil;
  int pad() const { return dil * (k - 1) / 2; }
  int oh() const { return (h - 1) / stride + 1; }
  int ow() const { return (w - 1) / stride + 1; }
  size_t xs() const { return (size_t)n * c * h * w; }
  size_t ys() const { return (size_t)n * c * oh() * ow(); }
  size_t ws() const { return (size_t)c * k * k; }
  std::string name() const {
    char b[96];
    std::snprintf(b, sizeof b, "n%d c%d %dx%d k%d s%d d%d", n, c, h, w, k, stride, dil);
    return b;
  }
};

// ---------------------------------------------------------------- the double reference

template <typename F>
void for_each_term(const Shape& s, F&& f) {  // f(x index, y index, w index)
  const int oh = s.oh(), ow = s.ow();
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int ky = 0; ky < s.k; ++ky) {
            const int iy = oy * s.stride - s.pad() + ky * s.dil;
            if (iy < 0 || iy >= s.h) continue;
            for (int kx = 0; kx < s.k; ++kx) {
              const int ix = ox * s.stride - s.pad() + kx * s.dil;
              if (ix < 0 || ix >= s.w) continue;
              const size_t plane = (size_t)n * s.c + c;
              f((plane * s.h + iy) * s.w + ix, (plane * oh + oy) * ow + ox, ((size_t)c * s.k + ky) * s.k + kx);
            }
          }
}

std::vector<double> ref_forward(const Shape& s, const std::vector<float>& x, const std::vector<float>& w) {
  std::vector<double> y(s.ys(), 0.0);
  for_each_term(s, [&](size_t xi, size_t yi, size_t wi) { y[yi] += (double)w[wi] * x[xi]; });
  return y;
}
std::vector<double> ref_backward_input(const Shape& s, const std::vector<float>& dy, const std::vector<float>& w) {
  std::vector<double> dx(s.xs(), 0.0);
  for_each_term(s, [&](size_t xi, size_t yi, size_t wi) { dx[xi] += (double)w[wi] * dy[yi]; });
  return dx;
}
std::vector<double> ref_backward_weight(const Shape& s, const std::vector<float>& x, const std::vector<float>& dy) {
  std::vector<double> dw(s.ws(), 0.0);
  for_each_term(s, [&](size_t xi, size_t yi, size_t wi) { dw[wi] += (double)dy[yi] * x[xi]; });
  return dw;
}

// ---------------------------------------------------------------- checks

int failures = 0;

bool compare(const char* what, const Shape& s, const std::vector<double>& ref, const std::vector<float>& out,
             double base, double atol, double rtol) {
  int bad = 0;
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i] + base, o = out[i], diff = std::fabs(r - o);
    num += (r - o) * (r - o);
    den += r * r;
    if (!(diff <= atol + rtol * std::fabs(r))) {  // NaN fails here too
      if (bad < 10) std::printf("  MISMATCH %s %s at %zu: ref %.9g out %.9g diff %.3g\n", what, s.name().c_str(), i, r, o, diff);
      ++bad;
    }
  }
  const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  if (bad) {
    std::printf("FAIL %-22s %-26s %d of %zu outside atol %.1e rtol %.0e, rel err %.2e\n", what, s.name().c_str(), bad,
                ref.size(), atol, rtol, rel);
    ++failures;
  }
  return bad == 0 && failures < 10;
}

struct Dev {
  float* p = nullptr;
  explicit Dev(size_t n) { CHECK_CUDA(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(float))); }
  ~Dev() { cudaFree(p); }
  void put(const std::vector<float>& v) { CHECK_CUDA(cudaMemcpy(p, v.data(), v.size() * 4, cudaMemcpyHostToDevice)); }
  void fill(const std::vector<float>& v) { put(v); }
  void poison(size_t n) { CHECK_CUDA(cudaMemset(p, 0xff, n * 4)); }  // 0xffffffff is a NaN
  std::vector<float> get(size_t n) const {
    std::vector<float> v(n);
    CHECK_CUDA(cudaMemcpy(v.data(), p, n * 4, cudaMemcpyDeviceToHost));
    return v;
  }
};

std::vector<float> normal(std::mt19937_64& gen, size_t n) {
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

void check_shape(const Shape& s, std::mt19937_64& gen) {
  const auto x = normal(gen, s.xs()), w = normal(gen, s.ws()), dy = normal(gen, s.ys());
  Dev dx_(s.xs()), dw_(s.ws()), ddy(s.ys()), dy_(s.ys()), dgx(s.xs()), dgw(s.ws());
  dx_.put(x);
  dw_.put(w);
  ddy.put(dy);
  const double t_fwd = (double)s.k * s.k, t_w = (double)s.n * s.oh() * s.ow();
  const double atol_fwd = 1e-6 * std::sqrt(t_fwd), atol_w = 5e-6 * std::sqrt(t_w), rtol = 1e-5;

  const auto y_ref = ref_forward(s, x, w);
  dy_.poison(s.ys());
  CHECK_PVLL(pvll_cuda_depthwise_forward(dx_.p, dw_.p, dy_.p, s.n, s.c, s.h, s.w, s.k, s.stride, s.dil, nullptr));
  CHECK_CUDA(cudaDeviceSynchronize());
  compare("forward", s, y_ref, dy_.get(s.ys()), 0, atol_fwd, rtol);

  const auto dx_ref = ref_backward_input(s, dy, w);
  for (int acc = 0; acc < 2; ++acc) {
    if (acc) dgx.fill(std::vector<float>(s.xs(), 0.5f));
    else dgx.poison(s.xs());
    CHECK_PVLL(pvll_cuda_depthwise_backward_input(ddy.p, dw_.p, dgx.p, s.n, s.c, s.h, s.w, s.k, s.stride, s.dil, acc,
                                                  nullptr));
    CHECK_CUDA(cudaDeviceSynchronize());
    compare(acc ? "backward_input acc" : "backward_input", s, dx_ref, dgx.get(s.xs()), acc ? 0.5 : 0, atol_fwd, rtol);
  }

  const auto dw_ref = ref_backward_weight(s, x, dy);
  std::vector<float> first;
  for (int run = 0; run < 3; ++run) {
    const int acc = run == 2;
    if (acc) dgw.fill(std::vector<float>(s.ws(), -0.25f));
    else dgw.poison(s.ws());
    CHECK_PVLL(pvll_cuda_depthwise_backward_weight(dx_.p, ddy.p, dgw.p, s.n, s.c, s.h, s.w, s.k, s.stride, s.dil, acc,
                                                   nullptr));
    CHECK_CUDA(cudaDeviceSynchronize());
    const auto out = dgw.get(s.ws());
    if (run == 0) {
      compare("backward_weight", s, dw_ref, out, 0, atol_w, rtol);
      first = out;
    } else if (run == 1 && std::memcmp(first.data(), out.data(), out.size() * 4) != 0) {
      std::printf("FAIL backward_weight      %-26s differs between two runs (not deterministic)\n", s.name().c_str());
      ++failures;
    } else if (run == 2) {
      compare("backward_weight acc", s, dw_ref, out, -0.25, atol_w, rtol);
    }
  }
}

// ---------------------------------------------------------------- timing

constexpr int kSets = 8, kPerSample = 20, kSamples = 50;

template <typename F>
double median_us(F&& launch) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  for (int i = 0; i < 3 * kPerSample; ++i) launch(i % kSets);  // warm-up
  CHECK_CUDA(cudaDeviceSynchronize());
  std::vector<float> ms(kSamples);
  for (int s = 0; s < kSamples; ++s) {
    CHECK_CUDA(cudaEventRecord(a));
    for (int i = 0; i < kPerSample; ++i) launch((s * kPerSample + i) % kSets);
    CHECK_CUDA(cudaEventRecord(b));
    CHECK_CUDA(cudaEventSynchronize(b));
    CHECK_CUDA(cudaEventElapsedTime(&ms[s], a, b));
  }
  CHECK_CUDA(cudaEventDestroy(a));
  CHECK_CUDA(cudaEventDestroy(b));
  std::nth_element(ms.begin(), ms.begin() + kSamples / 2, ms.end());
  return ms[kSamples / 2] * 1000.0 / kPerSample;
}

double copy_bandwidth_gbs() {
  const size_t n = (size_t)1 << 28;  // 1 GiB each way
  float *src, *dst;
  CHECK_CUDA(cudaMalloc(&src, n * 4));
  CHECK_CUDA(cudaMalloc(&dst, n * 4));
  CHECK_CUDA(cudaMemset(src, 0x3f, n * 4));
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  std::vector<float> ms(10);
  for (int i = 0; i < 12; ++i) {
    CHECK_CUDA(cudaEventRecord(a));
    CHECK_CUDA(cudaMemcpyAsync(dst, src, n * 4, cudaMemcpyDeviceToDevice));
    CHECK_CUDA(cudaEventRecord(b));
    CHECK_CUDA(cudaEventSynchronize(b));
    if (i >= 2) CHECK_CUDA(cudaEventElapsedTime(&ms[i - 2], a, b));
  }
  std::sort(ms.begin(), ms.end());
  CHECK_CUDA(cudaFree(src));
  CHECK_CUDA(cudaFree(dst));
  return 2.0 * n * 4 / (ms[5] * 1e-3) / 1e9;  // bytes read plus bytes written
}

void time_shape(const Shape& s, std::mt19937_64& gen, double copy_gbs, FILE* json, bool& first_row) {
  std::vector<Dev*> x, dy, y, dx;
  Dev w(s.ws()), dw(s.ws());
  w.put(normal(gen, s.ws()));
  for (int i = 0; i < kSets; ++i) {
    x.push_back(new Dev(s.xs()));
    dy.push_back(new Dev(s.ys()));
    y.push_back(new Dev(s.ys()));
    dx.push_back(new Dev(s.xs()));
    x[i]->put(normal(gen, s.xs()));
    dy[i]->put(normal(gen, s.ys()));
  }
  const double xb = s.xs() * 4.0, yb = s.ys() * 4.0, wb = s.ws() * 4.0;
  struct Row {
    const char* op;
    double us, bytes;
  } rows[3];
  rows[0] = {"forward", median_us([&](int i) {
               CHECK_PVLL(pvll_cuda_depthwise_forward(x[i]->p, w.p, y[i]->p, s.n, s.c, s.h, s.w, s.k, s.stride, s.dil,
                                                      nullptr));
             }),
             xb + wb + yb};
  rows[1] = {"backward_input", median_us([&](int i) {
               CHECK_PVLL(pvll_cuda_depthwise_backward_input(dy[i]->p, w.p, dx[i]->p, s.n, s.c, s.h, s.w, s.k, s.stride,
                                                             s.dil, 0, nullptr));
             }),
             yb + wb + xb};
  rows[2] = {"backward_weight", median_us([&](int i) {
               CHECK_PVLL(pvll_cuda_depthwise_backward_weight(x[i]->p, dy[i]->p, dw.p, s.n, s.c, s.h, s.w, s.k,
                                                              s.stride, s.dil, 0, nullptr));
             }),
             xb + yb + wb};
  for (const Row& r : rows) {
    const double gbs = r.bytes / (r.us * 1e-6) / 1e9;
    std::printf("%-16s %-26s %9.2f us %8.1f GB/s %5.1f%% of copy\n", r.op, s.name().c_str(), r.us, gbs,
                100.0 * gbs / copy_gbs);
    if (json) {
      std::fprintf(json, "%s\n  {\"op\": \"depthwise_%s\", \"n\": %d, \"c\": %d, \"h\": %d, \"w\": %d, \"k\": %d, "
                   "\"stride\": %d, \"dilation\": %d, \"us\": %.3f, \"gbs\": %.1f}",
                   first_row ? "" : ",", r.op, s.n, s.c, s.h, s.w, s.k, s.stride, s.dil, r.us, gbs);
      first_row = false;
    }
  }
  for (int i = 0; i < kSets; ++i) delete x[i], delete dy[i], delete y[i], delete dx[i];
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long seed = (unsigned long long)std::chrono::steady_clock::now().time_since_epoch().count();
  bool time_it = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--no-time")) time_it = false;
  }
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, %.0f MB L2; seed %llu (--seed %llu to repeat)\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize / 1e6, seed, seed);
  std::mt19937_64 gen(seed);

  // 1. correctness: odd shapes, then the search shapes at a smaller batch (the double loop is slow)
  std::vector<Shape> checks;
  const int odd[][4] = {{2, 5, 7, 7}, {1, 3, 8, 8}, {2, 4, 9, 11}, {1, 16, 32, 32}, {3, 10, 14, 14},
                        {4, 16, 32, 32}, {4, 32, 16, 16}, {4, 64, 8, 8}, {2, 3, 70, 67}};
  for (const auto& p : odd)
    for (int k : {3, 5})
      for (int st : {1, 2})
        for (int d : {1, 2}) checks.push_back({p[0], p[1], p[2], p[3], k, st, d});
  checks.push_back({2, 6, 13, 12, 7, 1, 3});   // run-time k tiles, global-memory weight gradient
  checks.push_back({2, 6, 13, 12, 1, 2, 1});
  checks.push_back({1, 3, 9, 10, 15, 2, 8});   // window too large for shared memory
  checks.push_back({64, 16, 32, 32, 5, 1, 2}); // a full search shape
  for (const Shape& s : checks) {
    check_shape(s, gen);
    if (failures >= 10) break;
  }
  std::printf("checks: %zu shapes, %d failures\n", checks.size(), failures);

  // 2. timing at the search shapes
  if (time_it && failures == 0) {
    const double copy = copy_bandwidth_gbs();
    std::printf("device-to-device copy: %.0f GB/s (read + write)\n", copy);
    const char* out_dir = std::getenv("OUT");
    FILE* json = nullptr;
    if (out_dir) json = std::fopen((std::string(out_dir) + "/depthwise_check.json").c_str(), "w");
    if (json) std::fprintf(json, "{\"device\": \"%s\", \"copy_gbs\": %.1f, \"rows\": [", prop.name, copy);
    bool first_row = true;
    const int search[][3] = {{16, 32, 32}, {32, 16, 16}, {64, 8, 8}};
    for (const auto& p : search)
      for (int k : {3, 5})
        for (int st : {1, 2})
          for (int d : {1, 2}) time_shape({64, p[0], p[1], p[2], k, st, d}, gen, copy, json, first_row);
    if (json) {
      std::fprintf(json, "\n]}\n");
      std::fclose(json);
    }
  }
  return failures == 0 ? 0 : 1;
}
