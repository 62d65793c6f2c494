// Depthwise convolution (groups = channels), NCHW float32: forward, input gradient and weight
// gradient, for odd k <= 15, stride 1 or 2, dilation 1..8, "same" padding dilation*(k-1)/2
// (oh = ceil(h / stride)), the semantics of pvll_depthwise_* in native/include/pvll_conv.h.
// Forward overwrites y; the gradients overwrite or, with accumulate, add into dx and dw.
//
// Forward and input gradient: one block per output tile of one plane; the input window the
// tile needs (halo included, zero outside the plane so the padding costs no branches) and the
// k*k weights sit in shared memory, each thread computes outputs from them. The input gradient
// gathers (no atomics): dx[iy, ix] sums w[ky, kx] * dy[oy, ox] over the taps with
// oy*stride = iy + pad - ky*dil, from a shared-memory window of dy.
// Weight gradient: dw[c, ky, kx] sums over batch and space. Each block takes one channel and a
// fixed run of (image, tile) items, keeps k*k partial sums in registers (k = 3 and 5 are
// compiled for), reduces them across the block with warp shuffles and writes one partial per
// block; a second kernel (conv_common.cu) adds the partials in a fixed order. The split depends
// only on the shape, so results are bit-identical from run to run.
// Other kernel sizes and windows too large for shared memory take plain global-memory kernels.
//
// Build: cmake --build build (CMake globs kernels/*.cu). Checked against the CPU kernels by
// java/src/test/java/dev/pvll/kernels/ConvCudaTest.java, and against a double-precision loop by
// kernels/dev/depthwise_check.cu (which also times the search shapes).
#include <algorithm>

#include "conv_common.cuh"
#include "pvll_cuda_conv.h"

namespace {

constexpr int kMaxThreads = 256;
constexpr size_t kSmemTarget = 24 * 1024;  // tiles shrink until their window fits this
constexpr size_t kSmemMax = 48 * 1024;     // beyond: the global-memory kernels
constexpr int kWeightGradBlocks = 1024;    // blocks the weight-gradient split aims for

struct Dw {
  int n, c, h, w, k, stride, dil, pad, oh, ow;
};

/** A tile of th x tw outputs of one plane and the shared-memory window (sh x sw) it reads. */
struct Tile {
  int th, tw, tiles_x, tiles, sh, sw, threads;
  size_t smem;
  bool fits;
};

/**
 * Plans the tiles over an out_h x out_w plane. transposed: the window is in dy for a tile of
 * dx (input gradient); otherwise the window is in x for a tile of y.
 */
Tile plan_tile(const Dw& s, int out_h, int out_w, bool transposed) {
  Tile t{};
  const int span = (s.k - 1) * s.dil;
  t.tw = std::min(out_w, 32);
  t.th = std::min(out_h, std::max(1, 1024 / t.tw));
  auto window = [&] {
    if (transposed) {  // dy rows oy with oy*stride in [iy0 + pad - span, iy0 + th - 1 + pad]
      t.sh = (t.th - 1 + span + s.stride - 1) / s.stride + 1;
      t.sw = (t.tw - 1 + span + s.stride - 1) / s.stride + 1;
    } else {
      t.sh = (t.th - 1) * s.stride + span + 1;
      t.sw = (t.tw - 1) * s.stride + span + 1;
    }
    t.smem = sizeof(float) * ((size_t)t.sh * t.sw + (size_t)s.k * s.k);
  };
  window();
  while (t.smem > kSmemTarget && (t.th > 1 || t.tw > 8)) {
    if (t.th > 1) t.th = (t.th + 1) / 2;
    else t.tw = (t.tw + 1) / 2;
    window();
  }
  t.fits = t.smem <= kSmemMax;
  t.tiles_x = (out_w + t.tw - 1) / t.tw;
  t.tiles = t.tiles_x * ((out_h + t.th - 1) / t.th);
  t.threads = std::min(kMaxThreads, (t.th * t.tw + 31) / 32 * 32);
  return t;
}

/** floor(a / b) for b = 1 or 2 (an arithmetic shift floors negative a). */
__device__ __forceinline__ int floordiv_stride(int a, int stride) { return stride == 1 ? a : a >> 1; }

/** Copies the rows x cols window at (y0, x0) of an h x w plane to dst, zero outside it. */
__device__ __forceinline__ void load_window(float* dst, const float* __restrict__ src, int h, int w,
                                            int y0, int x0, int rows, int cols) {
  for (int i = threadIdx.x; i < rows * cols; i += blockDim.x) {
    const int r = i / cols, col = i - r * cols;
    const int yy = y0 + r, xx = x0 + col;
    dst[i] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? __ldg(src + (long long)yy * w + xx) : 0.f;
  }
}

// ---------------------------------------------------------------- forward

template <int KT>  // kernel size, or 0: taken from s.k at run time
__global__ void __launch_bounds__(kMaxThreads)
    dw_forward_tiled(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, Dw s,
                     Tile t) {
  extern __shared__ float smem[];
  const int k = KT > 0 ? KT : s.k;
  float* ws = smem;
  float* xs = smem + k * k;
  const int plane = blockIdx.x / t.tiles, tile = blockIdx.x - plane * t.tiles;
  const int ch = plane % s.c;
  const int oy0 = (tile / t.tiles_x) * t.th, ox0 = (tile % t.tiles_x) * t.tw;
  for (int i = threadIdx.x; i < k * k; i += blockDim.x) ws[i] = __ldg(w + ch * k * k + i);
  load_window(xs, x + (long long)plane * s.h * s.w, s.h, s.w, oy0 * s.stride - s.pad, ox0 * s.stride - s.pad,
              t.sh, t.sw);
  __syncthreads();
  float* yp = y + (long long)plane * s.oh * s.ow;
  const int row_step = s.dil * t.sw;
  for (int o = threadIdx.x; o < t.th * t.tw; o += blockDim.x) {
    const int ty = o / t.tw, tx = o - ty * t.tw;
    const int oy = oy0 + ty, ox = ox0 + tx;
    if (oy >= s.oh || ox >= s.ow) continue;
    const float* src = xs + ty * s.stride * t.sw + tx * s.stride;
    float acc = 0.f;
#pragma unroll
    for (int ky = 0; ky < k; ++ky)
#pragma unroll
      for (int kx = 0; kx < k; ++kx) acc = fmaf(ws[ky * k + kx], src[ky * row_step + kx * s.dil], acc);
    yp[oy * s.ow + ox] = acc;
  }
}

__global__ void dw_forward_direct(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                                  Dw s) {
  const long long total = (long long)s.n * s.c * s.oh * s.ow;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int ox = (int)(i % s.ow), oy = (int)(i / s.ow % s.oh);
    const long long plane = i / ((long long)s.oh * s.ow);
    const int ch = (int)(plane % s.c);
    const float* xp = x + plane * s.h * s.w;
    const float* wp = w + (long long)ch * s.k * s.k;
    float acc = 0.f;
    for (int ky = 0; ky < s.k; ++ky) {
      const int iy = oy * s.stride - s.pad + ky * s.dil;
      if (iy < 0 || iy >= s.h) continue;
      for (int kx = 0; kx < s.k; ++kx) {
        const int ix = ox * s.stride - s.pad + kx * s.dil;
        if (ix >= 0 && ix < s.w) acc = fmaf(wp[ky * s.k + kx], xp[iy * s.w + ix], acc);
      }
    }
    y[i] = acc;
  }
}

// ---------------------------------------------------------------- input gradient

template <int KT>
__global__ void __launch_bounds__(kMaxThreads)
    dw_backward_input_tiled(const float* __restrict__ dy, const float* __restrict__ w, float* __restrict__ dx,
                            Dw s, Tile t, int accumulate) {
  extern __shared__ float smem[];
  const int k = KT > 0 ? KT : s.k;
  float* ws = smem;
  float* ds = smem + k * k;
  const int plane = blockIdx.x / t.tiles, tile = blockIdx.x - plane * t.tiles;
  const int ch = plane % s.c;
  const int iy0 = (tile / t.tiles_x) * t.th, ix0 = (tile % t.tiles_x) * t.tw;
  const int span = (k - 1) * s.dil;
  const int oy_lo = floordiv_stride(iy0 + s.pad - span, s.stride);
  const int ox_lo = floordiv_stride(ix0 + s.pad - span, s.stride);
  for (int i = threadIdx.x; i < k * k; i += blockDim.x) ws[i] = __ldg(w + ch * k * k + i);
  load_window(ds, dy + (long long)plane * s.oh * s.ow, s.oh, s.ow, oy_lo, ox_lo, t.sh, t.sw);
  __syncthreads();
  float* dxp = dx + (long long)plane * s.h * s.w;
  for (int o = threadIdx.x; o < t.th * t.tw; o += blockDim.x) {
    const int ty = o / t.tw, tx = o - ty * t.tw;
    const int iy = iy0 + ty, ix = ix0 + tx;
    if (iy >= s.h || ix >= s.w) continue;
    float acc = 0.f;
#pragma unroll
    for (int ky = 0; ky < k; ++ky) {
      const int ry = iy + s.pad - ky * s.dil;  // = oy * stride
      if (s.stride == 2 && (ry & 1)) continue;
      const float* row = ds + (floordiv_stride(ry, s.stride) - oy_lo) * t.sw;
#pragma unroll
      for (int kx = 0; kx < k; ++kx) {
        const int rx = ix + s.pad - kx * s.dil;
        if (s.stride == 2 && (rx & 1)) continue;
        acc = fmaf(ws[ky * k + kx], row[floordiv_stride(rx, s.stride) - ox_lo], acc);
      }
    }
    float* out = dxp + iy * s.w + ix;
    *out = accumulate ? *out + acc : acc;
  }
}

__global__ void dw_backward_input_direct(const float* __restrict__ dy, const float* __restrict__ w,
                                         float* __restrict__ dx, Dw s, int accumulate) {
  const long long total = (long long)s.n * s.c * s.h * s.w;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int ix = (int)(i % s.w), iy = (int)(i / s.w % s.h);
    const long long plane = i / ((long long)s.h * s.w);
    const int ch = (int)(plane % s.c);
    const float* dyp = dy + plane * s.oh * s.ow;
    const float* wp = w + (long long)ch * s.k * s.k;
    float acc = 0.f;
    for (int ky = 0; ky < s.k; ++ky) {
      const int ry = iy + s.pad - ky * s.dil;
      if (ry < 0 || ry % s.stride != 0 || ry / s.stride >= s.oh) continue;
      for (int kx = 0; kx < s.k; ++kx) {
        const int rx = ix + s.pad - kx * s.dil;
        if (rx < 0 || rx % s.stride != 0 || rx / s.stride >= s.ow) continue;
        acc = fmaf(wp[ky * s.k + kx], dyp[(ry / s.stride) * s.ow + rx / s.stride], acc);
      }
    }
    dx[i] = accumulate ? dx[i] + acc : acc;
  }
}

// ---------------------------------------------------------------- weight gradient

/** Sum of v over the block (blockDim.x a multiple of 32), valid in thread 0; fixed order. */
__device__ float block_sum(float v, float* red /* >= 32 floats */) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) red[warp] = v;
  __syncthreads();
  float sum = 0.f;
  if (threadIdx.x == 0)
    for (int i = 0; i < (int)(blockDim.x >> 5); ++i) sum += red[i];
  __syncthreads();  // red is free again
  return sum;
}

/**
 * Block (split, ch) sums dy * x over items [split*items_per_block, ...) of the n*tiles
 * (image, tile) items and writes partial[split][ch][k*k].
 */
template <int KT>
__global__ void __launch_bounds__(kMaxThreads)
    dw_backward_weight_tiled(const float* __restrict__ x, const float* __restrict__ dy,
                             float* __restrict__ partial, Dw s, Tile t, int items_per_block) {
  constexpr int KK = KT * KT;
  extern __shared__ float xs[];
  __shared__ float red[kMaxThreads / 32][KK];
  const int split = blockIdx.x, ch = blockIdx.y;
  const long long items = (long long)s.n * t.tiles;
  const long long first = (long long)split * items_per_block;
  const long long last = min(items, first + items_per_block);
  float acc[KK];
#pragma unroll
  for (int i = 0; i < KK; ++i) acc[i] = 0.f;
  const int row_step = s.dil * t.sw;
  for (long long item = first; item < last; ++item) {
    const int img = (int)(item / t.tiles), tile = (int)(item - (long long)img * t.tiles);
    const long long plane = (long long)img * s.c + ch;
    const int oy0 = (tile / t.tiles_x) * t.th, ox0 = (tile % t.tiles_x) * t.tw;
    __syncthreads();  // the previous item's window has been read
    load_window(xs, x + plane * s.h * s.w, s.h, s.w, oy0 * s.stride - s.pad, ox0 * s.stride - s.pad, t.sh, t.sw);
    __syncthreads();
    const float* dyp = dy + plane * s.oh * s.ow;
    for (int o = threadIdx.x; o < t.th * t.tw; o += blockDim.x) {
      const int ty = o / t.tw, tx = o - ty * t.tw;
      const int oy = oy0 + ty, ox = ox0 + tx;
      if (oy >= s.oh || ox >= s.ow) continue;
      const float g = __ldg(dyp + oy * s.ow + ox);
      const float* src = xs + ty * s.stride * t.sw + tx * s.stride;
#pragma unroll
      for (int ky = 0; ky < KT; ++ky)
#pragma unroll
        for (int kx = 0; kx < KT; ++kx) acc[ky * KT + kx] = fmaf(g, src[ky * row_step + kx * s.dil], acc[ky * KT + kx]);
    }
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int i = 0; i < KK; ++i) {
    float v = acc[i];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    if (lane == 0) red[warp][i] = v;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < KK; i += blockDim.x) {
    float sum = 0.f;
    for (int wp = 0; wp < (int)(blockDim.x >> 5); ++wp) sum += red[wp][i];
    partial[((long long)split * s.c + ch) * KK + i] = sum;
  }
}

/** Any k and dilation: block (split, ch) sums over images [split*images_per_block, ...). */
__global__ void __launch_bounds__(kMaxThreads)
    dw_backward_weight_direct(const float* __restrict__ x, const float* __restrict__ dy,
                              float* __restrict__ partial, Dw s, int images_per_block) {
  __shared__ float red[32];
  const int split = blockIdx.x, ch = blockIdx.y;
  const int img0 = split * images_per_block, img1 = min(s.n, img0 + images_per_block);
  const int out_plane = s.oh * s.ow;
  const long long count = (long long)(img1 - img0) * out_plane;
  for (int tap = 0; tap < s.k * s.k; ++tap) {
    const int ky = tap / s.k, kx = tap - ky * s.k;
    float acc = 0.f;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
      const int img = img0 + (int)(i / out_plane), p = (int)(i % out_plane);
      const int oy = p / s.ow, ox = p - oy * s.ow;
      const int iy = oy * s.stride - s.pad + ky * s.dil, ix = ox * s.stride - s.pad + kx * s.dil;
      if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
      const long long plane = (long long)img * s.c + ch;
      acc = fmaf(__ldg(dy + plane * out_plane + p), __ldg(x + plane * s.h * s.w + iy * s.w + ix), acc);
    }
    const float sum = block_sum(acc, red);
    if (threadIdx.x == 0) partial[((long long)split * s.c + ch) * s.k * s.k + tap] = sum;
  }
}

// ---------------------------------------------------------------- host side

int check(const char* op, const void* a, const void* b, const void* c, int n, int ch, int h, int w, int k,
          int stride, int dilation, Dw* s) {
  CUDA_REQUIRE(a && b && c, "%s: NULL tensor pointer", op);
  CUDA_REQUIRE(n > 0 && ch > 0 && h > 0 && w > 0, "%s: bad shape n=%d c=%d h=%d w=%d", op, n, ch, h, w);
  CUDA_REQUIRE(k >= 1 && k <= 15 && k % 2 == 1 && (stride == 1 || stride == 2) && dilation >= 1 && dilation <= 8,
               "%s: unsupported k=%d stride=%d dilation=%d (odd k <= 15, stride 1 or 2, dilation 1..8)", op, k,
               stride, dilation);
  CUDA_REQUIRE((long long)n * ch <= (1LL << 30) && ch <= 65535, "%s: too many planes (n=%d c=%d)", op, n, ch);
  const int pad = dilation * (k - 1) / 2;
  *s = Dw{n, ch, h, w, k, stride, dilation, pad, pvll_cuda::conv_out_size(h, k, stride, pad, dilation),
          pvll_cuda::conv_out_size(w, k, stride, pad, dilation)};
  return PVLL_OK;
}

template <typename Kernel, typename... Args>
int launch_tiled(const char* op, Kernel kernel, const Tile& t, long long planes, cudaStream_t stream, Args... args) {
  const long long blocks = planes * t.tiles;
  CUDA_REQUIRE(blocks < (1LL << 31), "%s: %lld blocks is too many", op, blocks);
  kernel<<<(unsigned)blocks, t.threads, t.smem, stream>>>(args...);
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

}  // namespace

PVLL_API int pvll_cuda_depthwise_forward(const float* x, const float* w, float* y, int n, int c, int h, int w_in,
                                         int k, int stride, int dilation, void* stream) {
  const char* op = "pvll_cuda_depthwise_forward";
  Dw s;
  if (int st = check(op, x, w, y, n, c, h, w_in, k, stride, dilation, &s)) return st;
  const auto st_ = ::pvll_cuda::stream_of(stream);
  const Tile t = plan_tile(s, s.oh, s.ow, false);
  if (!t.fits) {
    dw_forward_direct<<<pvll_grid_for((long long)n * c * s.oh * s.ow, kMaxThreads), kMaxThreads, 0, st_>>>(x, w, y, s);
    CUDA_CHECK_LAUNCH(op);
    return PVLL_OK;
  }
  const long long planes = (long long)n * c;
  switch (k) {
    case 3: return launch_tiled(op, dw_forward_tiled<3>, t, planes, st_, x, w, y, s, t);
    case 5: return launch_tiled(op, dw_forward_tiled<5>, t, planes, st_, x, w, y, s, t);
    default: return launch_tiled(op, dw_forward_tiled<0>, t, planes, st_, x, w, y, s, t);
  }
}

PVLL_API int pvll_cuda_depthwise_backward_input(const float* dy, const float* w, float* dx, int n, int c, int h,
                                                int w_in, int k, int stride, int dilation, int accumulate,
                                                void* stream) {
  const char* op = "pvll_cuda_depthwise_backward_input";
  Dw s;
  if (int st = check(op, dy, w, dx, n, c, h, w_in, k, stride, dilation, &s)) return st;
  const auto st_ = ::pvll_cuda::stream_of(stream);
  const Tile t = plan_tile(s, s.h, s.w, true);
  if (!t.fits) {
    dw_backward_input_direct<<<pvll_grid_for((long long)n * c * h * w_in, kMaxThreads), kMaxThreads, 0, st_>>>(
        dy, w, dx, s, accumulate);
    CUDA_CHECK_LAUNCH(op);
    return PVLL_OK;
  }
  const long long planes = (long long)n * c;
  switch (k) {
    case 3: return launch_tiled(op, dw_backward_input_tiled<3>, t, planes, st_, dy, w, dx, s, t, accumulate);
    case 5: return launch_tiled(op, dw_backward_input_tiled<5>, t, planes, st_, dy, w, dx, s, t, accumulate);
    default: return launch_tiled(op, dw_backward_input_tiled<0>, t, planes, st_, dy, w, dx, s, t, accumulate);
  }
}

PVLL_API int pvll_cuda_depthwise_backward_weight(const float* x, const float* dy, float* dw, int n, int c, int h,
                                                 int w_in, int k, int stride, int dilation, int accumulate,
                                                 void* stream) {
  const char* op = "pvll_cuda_depthwise_backward_weight";
  Dw s;
  if (int st = check(op, x, dy, dw, n, c, h, w_in, k, stride, dilation, &s)) return st;
  const auto st_ = ::pvll_cuda::stream_of(stream);
  const Tile t = plan_tile(s, s.oh, s.ow, false);
  const bool tiled = t.fits && (k == 3 || k == 5);
  // The split: about kWeightGradBlocks blocks in all, each over a whole run of items.
  const long long items = tiled ? (long long)n * t.tiles : n;
  const long long want = std::max(1, (kWeightGradBlocks + c - 1) / c);
  const int per_block = (int)((items + std::min(items, want) - 1) / std::min(items, want));
  const int splits = (int)((items + per_block - 1) / per_block);
  pvll_cuda::Scratch partial(st_);
  if (int st = partial.alloc((size_t)splits * c * k * k * sizeof(float))) return st;
  const dim3 grid(splits, c);
  if (!tiled) {
    dw_backward_weight_direct<<<grid, kMaxThreads, 0, st_>>>(x, dy, partial.as<float>(), s, per_block);
  } else if (k == 3) {
    dw_backward_weight_tiled<3><<<grid, t.threads, t.smem, st_>>>(x, dy, partial.as<float>(), s, t, per_block);
  } else {
    dw_backward_weight_tiled<5><<<grid, t.threads, t.smem, st_>>>(x, dy, partial.as<float>(), s, t, per_block);
  }
  CUDA_CHECK_LAUNCH(op);
  return pvll_cuda::sum_partials(op, partial.as<float>(), dw, (long long)c * k * k, splits, accumulate, st_);
}
