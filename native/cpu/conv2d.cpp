// General conv2d (groups = 1) as products on the packed 4x24 micro-kernel (gemm.h):
//   forward          y[img]  = W [cout x cin*kh*kw] * im2col(x[img])      (+ bias)
//   input gradient   dx[img] = col2im(W^T * dy[img])
//   weight gradient  dW      = sum over images of dy[img] * im2col(x[img])^T
// Used for the stem, the strided 1x1 convs of FactorizedReduce and the auxiliary head: small
// K, many pixels, or (aux head) tiny maps. Maps under 48 pixels are multiplied several images
// at a time, side by side, so the 24-column tiles are filled; weight gradients of maps under 16
// pixels are one product over the whole batch. Plain 1x1 convs skip im2col (pointwise.cpp).
// Forward and input gradient split images over threads (disjoint outputs); the weight gradient
// reduces over fixed image chunks in order (conv_common.h), so results never depend on threads.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv2d_stem.h"
#include "conv_common.h"
#include "cpu_features.h"
#include "conv_shape.h"
#include "gemm.h"
#include "pointwise.h"
#include "pvll_conv.h"
#include "scratch.h"
#include "avx2.h"
#include "status.h"

namespace pvll {
namespace {

// Output columns ox whose input column ox*stride + offset lies in [0, w): [lo, hi).
struct Span {
  int lo, hi;
};

Span valid_span(int offset, int stride, int w, int ow) {
  int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int hi = w - 1 - offset >= 0 ? (w - 1 - offset) / stride + 1 : 0;
  lo = std::min(lo, ow);
  hi = std::clamp(hi, lo, ow);
  return Span{lo, hi};
}

// dst[j] = src[2j] for j < n (FactorizedReduce's strided 1x1 convs), 8 at a time, reading no
// further than src[2n - 2].
inline void gather_even(float* dst, const float* src, int n) {
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const int left = 2 * (n - j) - 1;  // readable floats from src + 2j
    const __m256 a = _mm256_loadu_ps(src + 2 * j);
    const __m256 b = left >= 16 ? _mm256_loadu_ps(src + 2 * j + 8) : avx2::load(src + 2 * j + 8, left - 8);
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    _mm256_storeu_ps(dst + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
  }
  if (j < n) {  // the last n - j < 8 (a 7x7 output's whole rows): masked loads, partial store
    const int left = 2 * (n - j) - 1;
    const __m256 a = avx2::load(src + 2 * j, std::min(8, left));
    const __m256 b = left > 8 ? avx2::load(src + 2 * j + 8, left - 8) : _mm256_setzero_ps();
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    avx2::store_first(dst + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)), n - j);
  }
}

// col[(ci,ky,kx)*ld + oy*ow+ox] = x[ci][oy*s-p+ky*d][ox*s-p+kx*d] (0 outside) for one image; ld
// is the row stride of col, so that several images can sit side by side.
void im2col(const ConvShape& s, const float* x, float* col, int64_t ld) {
  const int oh = s.oh(), ow = s.ow(), st = s.stride;
  for (int ci = 0; ci < s.cin; ++ci)
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        const int offset = kx * s.dilation - s.padding;
        const Span span = valid_span(offset, st, s.w, ow);
        float* row = col + (((int64_t)ci * s.kh + ky) * s.kw + kx) * ld;
        for (int oy = 0; oy < oh; ++oy, row += ow) {
          const int iy = oy * st - s.padding + ky * s.dilation;
          if (iy < 0 || iy >= s.h) {
            std::memset(row, 0, sizeof(float) * ow);
            continue;
          }
          const float* src = x + ((int64_t)ci * s.h + iy) * s.w;  // src[ox*st + offset]
          // (memset calls only where there is padding: rows are short, the calls add up)
          if (span.lo > 0) std::memset(row, 0, sizeof(float) * span.lo);
          if (st == 1)
            std::memcpy(row + span.lo, src + span.lo + offset, sizeof(float) * (span.hi - span.lo));
          else if (st == 2)
            gather_even(row + span.lo, src + 2 * span.lo + offset, span.hi - span.lo);
          else
            for (int ox = span.lo; ox < span.hi; ++ox) row[ox] = src[ox * st + offset];
          if (span.hi < ow) std::memset(row + span.hi, 0, sizeof(float) * (ow - span.hi));
        }
      }
}

// The adjoint of im2col: dx[ci][iy][ix] += dcol[(ci,ky,kx)*ld + oy*ow+ox], in a fixed order.
void col2im(const ConvShape& s, const float* dcol, int64_t ld, float* dx) {
  const int oh = s.oh(), ow = s.ow(), st = s.stride;
  for (int ci = 0; ci < s.cin; ++ci)
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        const int offset = kx * s.dilation - s.padding;
        const Span span = valid_span(offset, st, s.w, ow);
        const float* row = dcol + (((int64_t)ci * s.kh + ky) * s.kw + kx) * ld;
        for (int oy = 0; oy < oh; ++oy, row += ow) {
          const int iy = oy * st - s.padding + ky * s.dilation;
          if (iy < 0 || iy >= s.h) continue;
          float* dst = dx + ((int64_t)ci * s.h + iy) * s.w;  // dst[ox*st + offset]
          if (st == 1)
            for (int ox = span.lo; ox < span.hi; ++ox) dst[ox + offset] += row[ox];
          else
            for (int ox = span.lo; ox < span.hi; ++ox) dst[ox * st + offset] += row[ox];
        }
      }
}

// Images per product: maps of fewer than 48 pixels (the auxiliary head's 2x2 and 1x1) are
// multiplied several images at a time, side by side, so the 24-column tiles are filled. Larger
// maps under 256 pixels whose last tile would be mostly empty go in the group (up to 256
// columns) that fills the tiles clearly better: FactorizedReduce's 7x7 output, 49 pixels in 3
// tiles of 24 (68% used), goes 5 images at a time (245 columns in 11 tiles, 93%).
int images_per_product(int n, int pixels) {
  if (pixels < 48) return std::min(n, (256 + pixels - 1) / pixels);
  auto used = [&](int g) {
    const int cols = g * pixels;
    return (double)cols / ((cols + gemm::kNr - 1) / gemm::kNr * gemm::kNr);
  };
  int best = 1;
  for (int g = 2; g * pixels <= 256 && g <= n; ++g)
    if (used(g) > used(best) + 0.05) best = g;
  return best;
}

// rows x pixels blocks of `count` consecutive images (image stride `stride`) side by side:
// out[r*count*pixels + j*pixels + p] = in[j*stride + r*pixels + p].
void gather_images(const float* in, int64_t stride, int count, int rows, int pixels, float* out) {
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < count; ++j)
      std::memcpy(out + ((int64_t)r * count + j) * pixels, in + j * stride + (int64_t)r * pixels,
                  sizeof(float) * pixels);
}

// The inverse of gather_images.
void scatter_images(const float* in, int count, int rows, int pixels, float* out, int64_t stride) {
  for (int j = 0; j < count; ++j)
    for (int r = 0; r < rows; ++r)
      std::memcpy(out + j * stride + (int64_t)r * pixels, in + ((int64_t)r * count + j) * pixels,
                  sizeof(float) * pixels);
}

// The products of packed A (m x k) with the packed B of each of `groups` image groups, for maps
// under 48 pixels, where a batch makes one or a few groups (the auxiliary head: one): B of each
// group is packed first (prepare(g, bp)), then the products run split into (group, block of A's
// rows) over threads, then finish(g, out) takes each group's m x cols(g) result. Every output
// element is the same k-sum as in one whole product, so results do not depend on threads.
template <class Cols, class Prepare, class Finish>
void grouped_products(int groups, int m, int k, const float* ap, const float* bias, Cols cols, Prepare prepare,
                      Finish finish) {
  std::vector<size_t> b_at(groups + 1, 0), c_at(groups + 1, 0);
  for (int g = 0; g < groups; ++g) {
    b_at[g + 1] = b_at[g] + gemm::packed_b_size(k, cols(g));
    c_at[g + 1] = c_at[g] + (size_t)m * cols(g);
  }
  // the calling thread's slots 4 and 5 (the work below uses slots 0 to 2); 64-byte aligned, and
  // each packed B a multiple of 24 floats, as pack_b needs
  float* bp = scratch(4, b_at[groups]);
  float* out_all = scratch(5, c_at[groups]);
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) prepare((int)g, bp + b_at[g]);
  });
  // about 8 products in all, row blocks a multiple of the 4-row panels of A
  const int per_group = std::max(1, 8 / groups);
  const int block = std::max(gemm::kMr, (m + per_group - 1) / per_group + gemm::kMr - 1) / gemm::kMr * gemm::kMr;
  const int blocks = (m + block - 1) / block;
  parallel_for((int64_t)groups * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int g = (int)(item / blocks), i0 = (int)(item % blocks) * block, rows = std::min(block, m - i0);
      gemm::multiply_packed(rows, cols(g), k, ap + (size_t)i0 * k, bp + b_at[g], out_all + c_at[g] + (size_t)i0 * cols(g),
                            cols(g), false, bias ? bias + i0 : nullptr);
    }
  });
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) finish((int)g, out_all + c_at[g]);
  });
}

// ---- forward of maps under 48 pixels (the auxiliary head): one product over the whole batch
//
// Y = W * B, B's n*pix columns the (image, pixel) pairs. Work items are (24-column panel of B,
// block of W's rows): each packs its panel straight from x (or from the im2col of the images
// it touches), multiplies it by W read in place (row-major, no packing of the weights) and
// writes its 4 x 24 tiles to y. Every output is one tile's k-sum: no dependence on threads.

// True when im2col of an image is the image itself: 1x1 stride-1 unpadded convs, and kernels
// that cover the whole unpadded image (one output pixel, k = the image's flat index).
bool im2col_is_identity(const ConvShape& s) {
  if (s.kh == 1 && s.kw == 1 && s.stride == 1 && s.padding == 0) return true;
  return s.kh == s.h && s.kw == s.w && s.padding == 0 && s.dilation == 1;
}

// bp = the packed 24-column panel of B holding columns [c0, c0 + cols).
void pack_tiny_panel(const ConvShape& s, const float* x, int c0, int cols, float* bp) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  const int64_t x_image = (int64_t)s.cin * s.h * s.w;
  if (!im2col_is_identity(s)) {
    const int first = c0 / pix, last = (c0 + cols - 1) / pix, ld = (last - first + 1) * pix;
    float* col = scratch(1, (size_t)kdim * ld);
    for (int img = first; img <= last; ++img) im2col(s, x + img * x_image, col + (img - first) * pix, ld);
    gemm::pack_b(col + (c0 - first * pix), ld, kdim, cols, bp);
    return;
  }
  if (pix == 1) {  // B[kk][j] = x[(c0 + j) * kdim + kk]
    gemm::pack_b_transposed(x + (int64_t)c0 * kdim, kdim, kdim, cols, bp);
    return;
  }
  int64_t off[gemm::kNr];  // where column j's pixel of channel 0 is
  for (int j = 0; j < cols; ++j) off[j] = (c0 + j) / pix * x_image + (c0 + j) % pix;
  if (pix % 4 == 0 && cols % 4 == 0) {  // 4 columns at a time: one image, 4 consecutive pixels
    for (int kk = 0; kk < kdim; ++kk, bp += gemm::kNr) {
      int j = 0;
      for (; j < cols; j += 4) _mm_store_ps(bp + j, _mm_loadu_ps(x + off[j] + (int64_t)kk * pix));
      for (; j < gemm::kNr; j += 4) _mm_store_ps(bp + j, _mm_setzero_ps());
    }
    return;
  }
  for (int kk = 0; kk < kdim; ++kk, bp += gemm::kNr) {
    int j = 0;
    for (; j < cols; ++j) bp[j] = x[off[j] + (int64_t)kk * pix];
    for (; j < gemm::kNr; ++j) bp[j] = 0.f;
  }
}

// y[image][co][pixel] for the tile of rows [co0, co0 + rows) and columns [c0, c0 + cols).
void store_tiny_tile(const ConvShape& s, const float* tile, int co0, int rows, int c0, int cols, float* y) {
  const int pix = s.oh() * s.ow();
  const int64_t y_image = (int64_t)s.cout * pix;
  if (pix == 1 && rows == gemm::kMr) {  // column j's 4 rows are y[c0 + j][co0 .. co0 + 3]
    float* dst = y + (int64_t)c0 * s.cout + co0;
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 t0 = _mm256_unpacklo_ps(_mm256_load_ps(tile + j), _mm256_load_ps(tile + gemm::kNr + j));
      const __m256 t1 = _mm256_unpackhi_ps(_mm256_load_ps(tile + j), _mm256_load_ps(tile + gemm::kNr + j));
      const __m256 t2 = _mm256_unpacklo_ps(_mm256_load_ps(tile + 2 * gemm::kNr + j), _mm256_load_ps(tile + 3 * gemm::kNr + j));
      const __m256 t3 = _mm256_unpackhi_ps(_mm256_load_ps(tile + 2 * gemm::kNr + j), _mm256_load_ps(tile + 3 * gemm::kNr + j));
      const __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                           _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
      for (int q = 0; q < 4; ++q) {
        _mm_storeu_ps(dst + (int64_t)(j + q) * s.cout, _mm256_castps256_ps128(u[q]));
        _mm_storeu_ps(dst + (int64_t)(j + q + 4) * s.cout, _mm256_extractf128_ps(u[q], 1));
      }
    }
    for (; j < cols; ++j)
      for (int i = 0; i < rows; ++i) dst[(int64_t)j * s.cout + i] = tile[i * gemm::kNr + j];
    return;
  }
  if (pix % 4 == 0 && cols % 4 == 0) {
    for (int j = 0; j < cols; j += 4) {
      float* dst = y + (c0 + j) / pix * y_image + (c0 + j) % pix + (int64_t)co0 * pix;
      for (int i = 0; i < rows; ++i) _mm_storeu_ps(dst + (int64_t)i * pix, _mm_load_ps(tile + i * gemm::kNr + j));
    }
    return;
  }
  for (int j = 0; j < cols; ++j) {
    float* dst = y + (c0 + j) / pix * y_image + (c0 + j) % pix + (int64_t)co0 * pix;
    for (int i = 0; i < rows; ++i) dst[(int64_t)i * pix] = tile[i * gemm::kNr + j];
  }
}

void forward_tiny_maps(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int kdim = s.cin * s.kh * s.kw, cols_all = s.n * s.oh() * s.ow();
  const int panels = (cols_all + gemm::kNr - 1) / gemm::kNr;
  const int row_panels = (s.cout + gemm::kMr - 1) / gemm::kMr;
  // at least 16 items (both threads busy to the end), W's rows in blocks of whole 4-row panels
  const int want_blocks = std::clamp((16 + panels - 1) / panels, 1, row_panels);
  const int per_block = (row_panels + want_blocks - 1) / want_blocks;
  const int blocks = (row_panels + per_block - 1) / per_block;
  parallel_for((int64_t)panels * blocks, 1, [&](int64_t begin, int64_t end) {
    float* bp = scratch(0, gemm::packed_b_size(kdim, gemm::kNr));
    alignas(32) float tile[gemm::kMr * gemm::kNr];
    for (int64_t item = begin; item < end; ++item) {
      const int block = (int)(item / panels), panel = (int)(item % panels);  // a block of W stays in L2
      const int c0 = panel * gemm::kNr, cols = std::min(gemm::kNr, cols_all - c0);
      pack_tiny_panel(s, x, c0, cols, bp);
      const int co_end = std::min(s.cout, (block + 1) * per_block * gemm::kMr);
      for (int co0 = block * per_block * gemm::kMr; co0 < co_end; co0 += gemm::kMr) {
        const int rows = std::min(gemm::kMr, s.cout - co0);
        gemm::tile_rowmajor_a(rows, cols, kdim, w + (int64_t)co0 * kdim, kdim, bp, bias ? bias + co0 : nullptr, tile);
        store_tiny_tile(s, tile, co0, rows, c0, cols, y);
      }
    }
  });
}

bool is_plain_1x1(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride == 1 && s.padding == 0 && s.h * s.w >= 48;
}

void forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (use_avx512() && avx512::stem_fits(s)) return avx512::stem_forward(s, x, w, bias, y);
  if (s.oh() * s.ow() < 48) return forward_tiny_maps(s, x, w, bias, y);
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  const int group = images_per_product(s.n, pix);
  const int64_t x_image = (int64_t)s.cin * s.h * s.w, y_image = (int64_t)s.cout * pix;
  std::vector<float> ap(gemm::packed_a_size(s.cout, kdim));
  gemm::pack_a(w, kdim, 1, s.cout, kdim, ap.data());
  const int groups = (s.n + group - 1) / group;
  if (group > 1) {
    auto cols = [&](int g) { return std::min(group, s.n - g * group) * pix; };
    grouped_products(
        groups, s.cout, kdim, ap.data(), bias, cols,
        [&](int g, float* bp) {
          const int first = g * group, count = std::min(group, s.n - first);
          float* col = scratch(1, (size_t)kdim * cols(g));
          for (int j = 0; j < count; ++j) im2col(s, x + (first + j) * x_image, col + j * pix, cols(g));
          gemm::pack_b(col, cols(g), kdim, cols(g), bp);
        },
        [&](int g, const float* out) {
          const int first = g * group;
          scatter_images(out, std::min(group, s.n - first), s.cout, pix, y + first * y_image, y_image);
        });
    return;
  }
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const int first = (int)g * group, count = std::min(group, s.n - first), cols = count * pix;
      float* col = scratch(1, (size_t)kdim * cols);
      float* bp = scratch(0, gemm::packed_b_size(kdim, cols));
      for (int j = 0; j < count; ++j) im2col(s, x + (first + j) * x_image, col + j * pix, cols);
      gemm::pack_b(col, cols, kdim, cols, bp);
      if (count == 1) {
        gemm::multiply_packed(s.cout, pix, kdim, ap.data(), bp, y + first * y_image, pix, false, bias);
      } else {
        float* out = scratch(2, (size_t)s.cout * cols);
        gemm::multiply_packed(s.cout, cols, kdim, ap.data(), bp, out, cols, false, bias);
        scatter_images(out, count, s.cout, pix, y + first * y_image, y_image);
      }
    }
  });
}

void backward_input(const ConvShape& s, const float* dy, const float* w, float* dx, bool accumulate) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  const int group = images_per_product(s.n, pix);
  const int64_t x_image = (int64_t)s.cin * s.h * s.w, y_image = (int64_t)s.cout * pix;
  std::vector<float> ap(gemm::packed_a_size(kdim, s.cout));
  gemm::pack_a(w, 1, kdim, kdim, s.cout, ap.data());  // W^T
  const int groups = (s.n + group - 1) / group;
  if (group > 1) {
    auto cols = [&](int g) { return std::min(group, s.n - g * group) * pix; };
    grouped_products(
        groups, kdim, s.cout, ap.data(), nullptr, cols,
        [&](int g, float* bp) {
          const int first = g * group, count = std::min(group, s.n - first);
          float* dyg = scratch(2, (size_t)s.cout * cols(g));
          gather_images(dy + first * y_image, y_image, count, s.cout, pix, dyg);
          gemm::pack_b(dyg, cols(g), s.cout, cols(g), bp);
        },
        [&](int g, const float* dcol) {
          const int first = g * group, count = std::min(group, s.n - first);
          for (int j = 0; j < count; ++j) {
            float* dxi = dx + (first + j) * x_image;
            if (!accumulate) std::memset(dxi, 0, sizeof(float) * x_image);
            col2im(s, dcol + j * pix, cols(g), dxi);
          }
        });
    return;
  }
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const int first = (int)g * group, count = std::min(group, s.n - first), cols = count * pix;
      float* dcol = scratch(1, (size_t)kdim * cols);
      float* bp = scratch(0, gemm::packed_b_size(s.cout, cols));
      if (count == 1) {
        gemm::pack_b(dy + first * y_image, pix, s.cout, pix, bp);
      } else {
        float* dyg = scratch(2, (size_t)s.cout * cols);
        gather_images(dy + first * y_image, y_image, count, s.cout, pix, dyg);
        gemm::pack_b(dyg, cols, s.cout, cols, bp);
      }
      gemm::multiply_packed(kdim, cols, s.cout, ap.data(), bp, dcol, cols, false, nullptr);
      for (int j = 0; j < count; ++j) {
        float* dxi = dx + (first + j) * x_image;
        if (!accumulate) std::memset(dxi, 0, sizeof(float) * x_image);
        col2im(s, dcol + j * pix, cols, dxi);
      }
    }
  });
}

// Maps of fewer than 16 pixels: the whole batch as one product dW = dY [cout x n*pix] *
// col^T [n*pix x K] on the packed micro-kernel, split over column panels of dW (each output
// summed by one thread, in a fixed order).
void backward_weight_tiny_maps(const ConvShape& s, const float* x, const float* dy, float* dw,
                               float* dbias, bool accumulate) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow(), cols = s.n * pix;
  const int64_t x_image = (int64_t)s.cin * s.h * s.w, y_image = (int64_t)s.cout * pix;
  std::vector<float> dyg((size_t)s.cout * cols), col((size_t)kdim * cols);
  gather_images(dy, y_image, s.n, s.cout, pix, dyg.data());
  parallel_for(s.n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t img = begin; img < end; ++img) im2col(s, x + img * x_image, col.data() + img * pix, cols);
  });
  std::vector<float> ap(gemm::packed_a_size(s.cout, cols));
  gemm::pack_a(dyg.data(), cols, 1, s.cout, cols, ap.data());
  const int panels = (kdim + gemm::kNr - 1) / gemm::kNr;
  parallel_for(panels, 1, [&](int64_t begin, int64_t end) {
    const int j0 = (int)begin * gemm::kNr, width = std::min(kdim, (int)end * gemm::kNr) - j0;
    float* bp = scratch(0, gemm::packed_b_size(cols, width));
    gemm::pack_b_transposed(col.data() + (int64_t)j0 * cols, cols, cols, width, bp);
    gemm::multiply_packed(s.cout, width, cols, ap.data(), bp, dw + j0, kdim, accumulate, nullptr);
  });
  if (dbias)
    for (int co = 0; co < s.cout; ++co) {
      const double sum = row_sum(dyg.data() + (int64_t)co * cols, cols);
      dbias[co] = (float)((accumulate ? (double)dbias[co] : 0.0) + sum);
    }
}

void backward_weight(const ConvShape& s, const float* x, const float* dy, float* dw, float* dbias,
                     bool accumulate) {
  const int kdim = s.cin * s.kh * s.kw, pix = s.oh() * s.ow();
  if (pix < 16) return backward_weight_tiny_maps(s, x, dy, dw, dbias, accumulate);
  const size_t wlen = (size_t)s.cout * kdim, len = wlen + (dbias ? s.cout : 0);
  const int flush_every = images_per_flush(pix);
  std::vector<double> total;
  reduce_over_images(s.n, len, total, [&](int begin, int end, double* partial) {
    gemm::NtAccumulator acc(s.cout, kdim);
    float* col = scratch(1, (size_t)kdim * pix);
    for (int img = begin; img < end; ++img) {
      im2col(s, x + (int64_t)img * s.cin * s.h * s.w, col, pix);
      const float* dyi = dy + (int64_t)img * s.cout * pix;
      acc.add(pix, dyi, pix, col, pix);
      if ((img - begin + 1) % flush_every == 0 || img + 1 == end) acc.flush(partial, kdim);
      if (dbias)
        for (int co = 0; co < s.cout; ++co) partial[wlen + co] += row_sum(dyi + (int64_t)co * pix, pix);
    }
  });
  write_sum(dw, total.data(), wlen, accumulate);
  if (dbias) write_sum(dbias, total.data() + wlen, s.cout, accumulate);
}

int check(const char* name, const ConvShape& s, const void* a, const void* b, const void* c) {
  PVLL_REQUIRE(s.valid(), "%s: bad shape (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE((int64_t)s.cin * s.kh * s.kw * s.oh() * s.ow() <= INT32_MAX &&
                   (int64_t)s.cin * s.h * s.w <= INT32_MAX && (int64_t)s.cout * s.oh() * s.ow() <= INT32_MAX,
               "%s: image too large (" PVLL_CONV_FMT ")", name, PVLL_CONV_ARGS(s));
  PVLL_REQUIRE(a && b && c, "%s: NULL tensor pointer", name);
  return PVLL_OK;
}

}  // namespace
}  // namespace pvll

using pvll::ConvShape;

PVLL_API int pvll_conv2d_forward(const float* x, const float* w, const float* bias, float* y, int n,
                                 int cin, int h, int w_in, int cout, int kh, int kw, int stride,
                                 int padding, int dilation) {
  const char* name = "pvll_conv2d_forward";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, x, w, y)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s)) pvll::pointwise_forward(x, w, bias, y, n, cin, h * w_in, cout);
    else pvll::forward(s, x, w, bias, y);
  })
  return PVLL_OK;
}

PVLL_API int pvll_conv2d_backward_input(const float* dy, const float* w, float* dx, int n, int cin,
                                        int h, int w_in, int cout, int kh, int kw, int stride,
                                        int padding, int dilation, int accumulate) {
  const char* name = "pvll_conv2d_backward_input";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, dy, w, dx)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s)) pvll::pointwise_backward_input(dy, w, dx, n, cin, h * w_in, cout, accumulate != 0);
    else pvll::backward_input(s, dy, w, dx, accumulate != 0);
  })
  return PVLL_OK;
}

PVLL_API int pvll_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias,
                                         int n, int cin, int h, int w_in, int cout, int kh, int kw,
                                         int stride, int padding, int dilation, int accumulate) {
  const char* name = "pvll_conv2d_backward_weight";
  const ConvShape s{n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, 1};
  if (int st = pvll::check(name, s, x, dy, dw)) return st;
  PVLL_GUARD(name, {
    if (pvll::is_plain_1x1(s))
      pvll::pointwise_backward_weight(x, dy, dw, dbias, n, cin, h * w_in, cout, accumulate != 0);
    else pvll::backward_weight(s, x, dy, dw, dbias, accumulate != 0);
  })
  return PVLL_OK;
}
