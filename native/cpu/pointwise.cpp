// Pointwise (1x1) convolution: per image a [cout x cin] x [cin x h*w] product on the packed
// 4x24 micro-kernel (gemm.h). Work items are (image, column block) pairs, each writing its own
// part of the output; the weight gradient reduces over images in fixed chunks.
#include "pointwise.h"

#include <vector>

#include "conv_common.h"
#include "conv_shape.h"
#include "gemm.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "status.h"

namespace pvll {
namespace {

// c_img (+)= A * b_img for every image, A already packed (m x k), b_img row-major k x hw.
void multiply_each_image(const std::vector<float>& ap, int m, int k, const float* b, float* c,
                         int n, int hw, bool accumulate, const float* bias) {
  const ColumnBlocks blocks = column_blocks(n, hw);
  parallel_for((int64_t)n * blocks.count, 1, [&](int64_t begin, int64_t end) {
    float* bp = scratch(0, gemm::packed_b_size(k, blocks.width));
    for (int64_t item = begin; item < end; ++item) {
      const int64_t img = item / blocks.count;
      const int j0 = (int)(item % blocks.count) * blocks.width;
      const int cols = std::min(blocks.width, hw - j0);
      gemm::pack_b(b + img * k * hw + j0, hw, k, cols, bp);
      gemm::multiply_packed(m, cols, k, ap.data(), bp, c + img * m * hw + j0, hw, accumulate, bias);
    }
  });
}

}  // namespace

void pointwise_forward(const float* x, const float* w, const float* bias, float* y, int n, int cin,
                       int hw, int cout) {
  std::vector<float> ap(gemm::packed_a_size(cout, cin));
  gemm::pack_a(w, cin, 1, cout, cin, ap.data());
  multiply_each_image(ap, cout, cin, x, y, n, hw, false, bias);
}

void pointwise_backward_input(const float* dy, const float* w, float* dx, int n, int cin, int hw,
                              int cout, bool accumulate) {
  std::vector<float> ap(gemm::packed_a_size(cin, cout));
  gemm::pack_a(w, 1, cin, cin, cout, ap.data());  // W^T
  multiply_each_image(ap, cin, cout, dy, dx, n, hw, accumulate, nullptr);
}

void pointwise_backward_weight(const float* x, const float* dy, float* dw, float* dbias, int n,
                               int cin, int hw, int cout, bool accumulate) {
  const size_t wlen = (size_t)cout * cin, len = wlen + (dbias ? cout : 0);
  std::vector<double> total;
  const int flush_every = images_per_flush(hw);
  reduce_over_images(n, len, total, [&](int begin, int end, double* partial) {
    gemm::NtAccumulator acc(cout, cin);
    for (int img = begin; img < end; ++img) {
      const float* dyi = dy + (int64_t)img * cout * hw;
      acc.add(hw, dyi, hw, x + (int64_t)img * cin * hw, hw);
      if ((img - begin + 1) % flush_every == 0 || img + 1 == end) acc.flush(partial, cin);
      if (dbias)
        for (int co = 0; co < cout; ++co) partial[wlen + co] += row_sum(dyi + (int64_t)co * hw, hw);
    }
  });
  write_sum(dw, total.data(), wlen, accumulate);
  if (dbias) write_sum(dbias, total.data() + wlen, cout, accumulate);
}

}  // namespace pvll

namespace {

int check(const char* name, int n, int cin, int h, int w, int cout, const void* a, const void* b,
          const void* c) {
  const pvll::ConvShape s = pvll::pointwise_shape(n, cin, h, w, cout);
  PVLL_REQUIRE(s.valid(), "%s: bad shape (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE((int64_t)h * w <= INT32_MAX / 2 && (int64_t)cin * h * w <= INT32_MAX &&
                   (int64_t)cout * h * w <= INT32_MAX,
               "%s: image too large (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE(a && b && c, "%s: NULL tensor pointer", name);
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_pointwise_forward(const float* x, const float* w, float* y, int n, int cin, int h,
                                    int w_in, int cout) {
  if (int st = check("pvll_pointwise_forward", n, cin, h, w_in, cout, x, w, y)) return st;
  PVLL_GUARD("pvll_pointwise_forward", pvll::pointwise_forward(x, w, nullptr, y, n, cin, h * w_in, cout);)
  return PVLL_OK;
}

PVLL_API int pvll_pointwise_backward_input(const float* dy, const float* w, float* dx, int n, int cin,
                                           int h, int w_in, int cout, int accumulate) {
  if (int st = check("pvll_pointwise_backward_input", n, cin, h, w_in, cout, dy, w, dx)) return st;
  PVLL_GUARD("pvll_pointwise_backward_input",
             pvll::pointwise_backward_input(dy, w, dx, n, cin, h * w_in, cout, accumulate != 0);)
  return PVLL_OK;
}

PVLL_API int pvll_pointwise_backward_weight(const float* x, const float* dy, float* dw, int n, int cin,
                                            int h, int w_in, int cout, int accumulate) {
  if (int st = check("pvll_pointwise_backward_weight", n, cin, h, w_in, cout, x, dy, dw)) return st;
  PVLL_GUARD("pvll_pointwise_backward_weight",
             pvll::pointwise_backward_weight(x, dy, dw, nullptr, n, cin, h * w_in, cout, accumulate != 0);)
  return PVLL_OK;
}
