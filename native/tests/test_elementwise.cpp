// Checks the elementwise kernels against plain loops, with 1 and 2 threads.
#include <cmath>

#include "pvll.h"
#include "test_support.h"

int main() {
  int failures = 0;
  const long long n = 200003;
  auto x = random_vector(n, 1), dy = random_vector(n, 2);
  // PyTorch's ReLU keeps NaN (forward) and passes dy through it (backward); infinities and zeros as usual
  const float specials[] = {NAN, INFINITY, -INFINITY, 0.f, -0.f};
  for (int k = 0; k < 5; ++k) x[1000 * k + 7] = specials[k];
  std::vector<float> ref(n), out(n);
  for (int threads : {1, 2}) {
    pvll_set_num_threads(threads);
    for (long long i = 0; i < n; ++i) ref[i] = std::isnan(x[i]) || x[i] > 0 ? x[i] : 0;
    pvll_relu_forward(x.data(), out.data(), n);
    failures += expect_close("relu_forward", ref.data(), out.data(), n, 0, 0);
    for (long long i = 0; i < n; ++i) ref[i] = std::isnan(x[i]) || x[i] > 0 ? dy[i] : 0;
    pvll_relu_backward(x.data(), dy.data(), out.data(), n);
    failures += expect_close("relu_backward", ref.data(), out.data(), n, 0, 0);
    out = dy;
    for (long long i = 0; i < n; ++i) ref[i] = dy[i] + 0.5f * x[i];
    pvll_scale_add(x.data(), 0.5f, out.data(), n, 1);
    failures += expect_close("scale_add", ref.data(), out.data(), n, 0, 0);
  }
  if (pvll_relu_forward(nullptr, nullptr, 5) != PVLL_ERR_INVALID_ARGUMENT) {
    std::printf("FAIL bad arguments not rejected\n");
    ++failures;
  } else {
    std::printf("ok   bad arguments rejected: %s\n", pvll_last_error());
  }
  return failures ? 1 : 0;
}
