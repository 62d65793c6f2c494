// Pointwise 1x1 and general conv2d (groups = 1, any kernel, stride, padding, dilation), NCHW
// float32, forward (+ bias) and both gradients, with the semantics of pvll_conv2d_* and
// pvll_pointwise_* in native/include/pvll_conv.h: forward overwrites y; with accumulate the
// gradients add into dx, dw and dbias, otherwise they overwrite them; bias/dbias may be NULL.
//
// Every direction is one implicit GEMM, C[M x N] = sum over K of A[m, k] * B[k, n], with the
// operands read straight from the tensors (no im2col buffer):
//   forward          M = cout, N = n*oh*ow, K = cin*kh*kw   A = w, B = im2col(x)
//   input gradient   M = cin,  N = n*h*w,   K = cout*kh*kw  A = w^T, B = the dy taps that reach
//                    each input pixel (a gather: zero where the stride skips it), no atomics
//   weight gradient  M = cout, N = cin*kh*kw, K = n*oh*ow  A = dy, B = im2col(x)^T, split over K
//                    into per-block partials that conv_common.cu adds in a fixed order
// The 1x1 stride-1 case has its own operand readers without the im2col index arithmetic.
// The GEMM is the classic shared-memory SGEMM: a BM x BN tile per block of 256 threads, BK = 16
// deep slices of A and B staged through registers (the next slice loads while this one is
// multiplied), each thread a TM x TN register block. FP32 FFMA throughout (no TF32: results must
// match the CPU kernels to float rounding). The tile shape is chosen per call from four
// configurations to waste the least of the padded M x N area (cout is often 16 to 64).
// Deterministic: the split of every sum depends on the shape only.
//
// Build: cmake --build build (CMake globs kernels/*.cu). Checked against the CPU kernels by
// java/src/test/java/dev/pvll/kernels/ConvCudaTest.java.
#include <algorithm>

#include "conv_common.cuh"
#include "pvll_cuda_conv.h"

namespace {

constexpr int kThreads = 256;
constexpr int kBK = 16;
constexpr int kTargetBlocks = 512;  // the weight-gradient split aims for about this many blocks

struct ConvDims {
  int n, cin, h, w, cout, kh, kw, stride, pad, dil, oh, ow;
};

// ---------------------------------------------------------------- operand readers
// Each problem gives M, N, K, a(m, k), b(k, n) for in-range indices, store(m, n, v, part) and
// two layout flags: whether A and B are contiguous along k (else along m, resp. n), so that
// consecutive threads load consecutive addresses.

/** Forward, general: A = w [cout x cin*kh*kw], B = im2col(x). */
struct ConvForward {
  static constexpr bool kAContigK = true, kBContigK = false;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  ConvDims d;
  int M, N, K;
  __device__ float a(int m, int k) const { return __ldg(w + (long long)m * K + k); }
  __device__ float b(int k, int n) const {
    const int khw = d.kh * d.kw, ci = k / khw, r = k - ci * khw, ky = r / d.kw, kx = r - ky * d.kw;
    const int opix = d.oh * d.ow, img = n / opix, p = n - img * opix, oy = p / d.ow, ox = p - oy * d.ow;
    const int iy = oy * d.stride - d.pad + ky * d.dil, ix = ox * d.stride - d.pad + kx * d.dil;
    if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) return 0.f;
    return __ldg(x + (((long long)img * d.cin + ci) * d.h + iy) * d.w + ix);
  }
  __device__ void store(int m, int n, float v, int) const {
    const int opix = d.oh * d.ow, img = n / opix, p = n - img * opix;
    y[((long long)img * d.cout + m) * opix + p] = bias ? v + __ldg(bias + m) : v;
  }
};

/** Forward, 1x1 stride 1: per image y [cout x hw] = w [cout x cin] * x [cin x hw]. */
struct PointwiseForward {
  static constexpr bool kAContigK = true, kBContigK = false;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  int hw, cin, cout;
  int M, N, K;
  __device__ float a(int m, int k) const { return __ldg(w + (long long)m * K + k); }
  __device__ float b(int k, int n) const {
    const int img = n / hw, p = n - img * hw;
    return __ldg(x + ((long long)img * cin + k) * hw + p);
  }
  __device__ void store(int m, int n, float v, int) const {
    const int img = n / hw, p = n - img * hw;
    y[((long long)img * cout + m) * hw + p] = bias ? v + __ldg(bias + m) : v;
  }
};

/** Input gradient, general: dx[img, ci, iy, ix] = sum over (co, ky, kx) of w * dy. */
struct ConvBackwardInput {
  static constexpr bool kAContigK = true, kBContigK = false;
  const float* dy;
  const float* w;
  float* dx;
  ConvDims d;
  int accumulate;
  int M, N, K;
  __device__ float a(int m, int k) const {  // m = ci, k = (co, ky, kx)
    const int khw = d.kh * d.kw, co = k / khw, r = k - co * khw;
    return __ldg(w + ((long long)co * d.cin + m) * khw + r);
  }
  __device__ float b(int k, int n) const {  // n = (img, iy, ix)
    const int khw = d.kh * d.kw, co = k / khw, r = k - co * khw, ky = r / d.kw, kx = r - ky * d.kw;
    const int ipix = d.h * d.w, img = n / ipix, p = n - img * ipix, iy = p / d.w, ix = p - iy * d.w;
    const int ry = iy + d.pad - ky * d.dil, rx = ix + d.pad - kx * d.dil;  // oy*stride, ox*stride
    if (ry < 0 || rx < 0) return 0.f;
    const int oy = ry / d.stride, ox = rx / d.stride;
    if (oy * d.stride != ry || ox * d.stride != rx || oy >= d.oh || ox >= d.ow) return 0.f;
    return __ldg(dy + (((long long)img * d.cout + co) * d.oh + oy) * d.ow + ox);
  }
  __device__ void store(int m, int n, float v, int) const {
    const int ipix = d.h * d.w, img = n / ipix, p = n - img * ipix;
    float* out = dx + ((long long)img * d.cin + m) * ipix + p;
    *out = accumulate ? *out + v : v;
  }
};

/** Input gradient, 1x1 stride 1: per image dx [cin x hw] = w^T [cin x cout] * dy [cout x hw]. */
struct PointwiseBackwardInput {
  static constexpr bool kAContigK = false, kBContigK = false;
  const float* dy;
  const float* w;
  float* dx;
  int hw, cin, cout, accumulate;
  int M, N, K;
  __device__ float a(int m, int k) const { return __ldg(w + (long long)k * cin + m); }
  __device__ float b(int k, int n) const {
    const int img = n / hw, p = n - img * hw;
    return __ldg(dy + ((long long)img * cout + k) * hw + p);
  }
  __device__ void store(int m, int n, float v, int) const {
    const int img = n / hw, p = n - img * hw;
    float* out = dx + ((long long)img * cin + m) * hw + p;
    *out = accumulate ? *out + v : v;
  }
};

/**
 * Weight gradient: dw [cout x cin*kh*kw] = sum over (img, p) of dy[img, co, p] * im2col(x).
 * With one part the result goes to dw (accumulate honoured); with several, part z of the K
 * split writes its partial product to partial[z][M][N].
 */
struct ConvBackwardWeight {
  static constexpr bool kAContigK = true, kBContigK = true;
  const float* x;
  const float* dy;
  float* dw;
  float* partial;
  ConvDims d;
  int accumulate, parts;
  int M, N, K;
  __device__ float a(int m, int k) const {  // k = (img, oy, ox)
    const int opix = d.oh * d.ow, img = k / opix, p = k - img * opix;
    return __ldg(dy + ((long long)img * d.cout + m) * opix + p);
  }
  __device__ float b(int k, int n) const {  // n = (ci, ky, kx)
    const int khw = d.kh * d.kw, ci = n / khw, r = n - ci * khw, ky = r / d.kw, kx = r - ky * d.kw;
    const int opix = d.oh * d.ow, img = k / opix, p = k - img * opix, oy = p / d.ow, ox = p - oy * d.ow;
    const int iy = oy * d.stride - d.pad + ky * d.dil, ix = ox * d.stride - d.pad + kx * d.dil;
    if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) return 0.f;
    return __ldg(x + (((long long)img * d.cin + ci) * d.h + iy) * d.w + ix);
  }
  __device__ void store(int m, int n, float v, int part) const {
    if (parts > 1) {
      partial[((long long)part * M + m) * N + n] = v;
    } else {
      float* out = dw + (long long)m * N + n;
      *out = accumulate ? *out + v : v;
    }
  }
};

/** Weight gradient, 1x1 stride 1: dw [cout x cin] = sum over (img, p) of dy * x. */
struct PointwiseBackwardWeight {
  static constexpr bool kAContigK = true, kBContigK = true;
  const float* x;
  const float* dy;
  float* dw;
  float* partial;
  int hw, cin, cout, accumulate, parts;
  int M, N, K;
  __device__ float a(int m, int k) const {
    const int img = k / hw, p = k - img * hw;
    return __ldg(dy + ((long long)img * cout + m) * hw + p);
  }
  __device__ float b(int k, int n) const {
    const int img = k / hw, p = k - img * hw;
    return __ldg(x + ((long long)img * cin + n) * hw + p);
  }
  __device__ void store(int m, int n, float v, int part) const {
    if (parts > 1) {
      partial[((long long)part * M + m) * N + n] = v;
    } else {
      float* out = dw + (long long)m * N + n;
      *out = accumulate ? *out + v : v;
    }
  }
};

// ---------------------------------------------------------------- the GEMM

/** Reads count consecutive floats of shared memory (16-byte aligned when count % 4 == 0). */
template <int count>
__device__ __forceinline__ void read_row(const float* src, float* dst) {
  if constexpr (count % 4 == 0) {
#pragma unroll
    for (int i = 0; i < count; i += 4) {
      const float4 v = *reinterpret_cast<const float4*>(src + i);
      dst[i] = v.x, dst[i + 1] = v.y, dst[i + 2] = v.z, dst[i + 3] = v.w;
    }
  } else {
#pragma unroll
    for (int i = 0; i < count; ++i) dst[i] = src[i];
  }
}

/**
 * Block (x, y, z) computes the BM x BN tile at rows y*BM, columns x*BN of C over the k range
 * [z*k_chunk, (z+1)*k_chunk) (k_chunk a multiple of kBK) and hands each value to p.store.
 */
template <int BM, int BN, int TM, int TN, typename P>
__global__ void __launch_bounds__(kThreads) gemm_kernel(const P p, int k_chunk) {
  static_assert((BM / TM) * (BN / TN) == kThreads, "one TM x TN block per thread");
  constexpr int kALoads = BM * kBK / kThreads, kBLoads = kBK * BN / kThreads;
  static_assert(kALoads * kThreads == BM * kBK && kBLoads * kThreads == BN * kBK, "whole tiles per thread");
  // Rows padded by 4 floats: the k-contiguous stores spread over banks, float4 reads stay aligned.
  __shared__ __align__(16) float as[kBK][BM + 4];
  __shared__ __align__(16) float bs[kBK][BN + 4];

  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_chunk, k_end = min(p.K, k_begin + k_chunk);
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);

  float ra[kALoads], rb[kBLoads];
  auto load = [&](int k0) {
#pragma unroll
    for (int l = 0; l < kALoads; ++l) {
      const int e = tid + l * kThreads;
      const int mm = P::kAContigK ? e / kBK : e % BM, kk = P::kAContigK ? e % kBK : e / BM;
      const int m = m0 + mm, k = k0 + kk;
      ra[l] = (m < p.M && k < k_end) ? p.a(m, k) : 0.f;
    }
#pragma unroll
    for (int l = 0; l < kBLoads; ++l) {
      const int e = tid + l * kThreads;
      const int nn = P::kBContigK ? e / kBK : e % BN, kk = P::kBContigK ? e % kBK : e / BN;
      const int n = n0 + nn, k = k0 + kk;
      rb[l] = (n < p.N && k < k_end) ? p.b(k, n) : 0.f;
    }
  };
  auto stash = [&] {
#pragma unroll
    for (int l = 0; l < kALoads; ++l) {
      const int e = tid + l * kThreads;
      if (P::kAContigK) as[e % kBK][e / kBK] = ra[l];
      else as[e / BM][e % BM] = ra[l];
    }
#pragma unroll
    for (int l = 0; l < kBLoads; ++l) {
      const int e = tid + l * kThreads;
      if (P::kBContigK) bs[e % kBK][e / kBK] = rb[l];
      else bs[e / BN][e % BN] = rb[l];
    }
  };

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  if (k_begin < k_end) load(k_begin);
  for (int k0 = k_begin; k0 < k_end; k0 += kBK) {
    stash();
    __syncthreads();
    if (k0 + kBK < k_end) load(k0 + kBK);  // in flight while this slice is multiplied
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float av[TM], bv[TN];
      read_row<TM>(&as[kk][ty * TM], av);
      read_row<TN>(&bs[kk][tx * TN], bv);
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + ty * TM + i;
    if (m >= p.M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tx * TN + j;
      if (n < p.N) p.store(m, n, acc[i][j], blockIdx.z);
    }
  }
}

struct TileShape {
  int bm, bn;
};
constexpr TileShape kShapes[] = {{16, 128}, {32, 128}, {64, 64}, {128, 32}};

/** The tile shape that wastes the least of the padded M x N area (ties: the later, squarer). */
int pick_shape(int M, int N) {
  int best = 0;
  long long best_area = -1;
  for (int i = 0; i < 4; ++i) {
    const long long area = (long long)((M + kShapes[i].bm - 1) / kShapes[i].bm) * kShapes[i].bm *
                           ((N + kShapes[i].bn - 1) / kShapes[i].bn) * kShapes[i].bn;
    if (best_area < 0 || area <= best_area) best = i, best_area = area;
  }
  return best;
}

template <typename P>
int launch_gemm(const char* op, const P& p, int shape, int parts, int k_chunk, cudaStream_t stream) {
  const TileShape t = kShapes[shape];
  const long long gx = (p.N + t.bn - 1) / t.bn, gy = (p.M + t.bm - 1) / t.bm;
  CUDA_REQUIRE(gx < (1LL << 31) && gy <= 65535 && parts <= 65535, "%s: problem too large (M=%d N=%d K=%d)", op,
               p.M, p.N, p.K);
  const dim3 grid((unsigned)gx, (unsigned)gy, (unsigned)parts);
  switch (shape) {
    case 0: gemm_kernel<16, 128, 2, 4, P><<<grid, kThreads, 0, stream>>>(p, k_chunk); break;
    case 1: gemm_kernel<32, 128, 4, 4, P><<<grid, kThreads, 0, stream>>>(p, k_chunk); break;
    case 2: gemm_kernel<64, 64, 4, 4, P><<<grid, kThreads, 0, stream>>>(p, k_chunk); break;
    default: gemm_kernel<128, 32, 4, 4, P><<<grid, kThreads, 0, stream>>>(p, k_chunk); break;
  }
  CUDA_CHECK_LAUNCH(op);
  return PVLL_OK;
}

/** One whole-K launch (forward, input gradient). */
template <typename P>
int run_gemm(const char* op, const P& p, cudaStream_t stream) {
  const int k_chunk = (p.K + kBK - 1) / kBK * kBK;
  return launch_gemm(op, p, pick_shape(p.M, p.N), 1, k_chunk, stream);
}

/** K split for the weight gradient: parts and chunk from the shape only (deterministic). */
void split_k(int M, int N, long long K, int shape, int* parts, int* k_chunk) {
  const long long tiles = (long long)((M + kShapes[shape].bm - 1) / kShapes[shape].bm) *
                          ((N + kShapes[shape].bn - 1) / kShapes[shape].bn);
  const long long max_parts = std::max(1LL, K / (8 * kBK));  // at least 8 slices per block
  const long long want = std::min(max_parts, std::max(1LL, (kTargetBlocks + tiles - 1) / tiles));
  const long long chunk = ((K + want - 1) / want + kBK - 1) / kBK * kBK;
  *k_chunk = (int)chunk;
  *parts = (int)((K + chunk - 1) / chunk);
}

/** Weight gradient through the split GEMM: partials in scratch, then the ordered sum. */
template <typename P>
int run_weight_gemm(const char* op, P p, float* dw, int accumulate, cudaStream_t stream) {
  const int shape = pick_shape(p.M, p.N);
  int parts = 1, k_chunk = 0;
  split_k(p.M, p.N, p.K, shape, &parts, &k_chunk);
  p.parts = parts;
  p.accumulate = accumulate;
  p.dw = dw;
  if (parts == 1) return launch_gemm(op, p, shape, 1, k_chunk, stream);
  pvll_cuda::Scratch partial(stream);
  if (int st = partial.alloc((size_t)parts * p.M * p.N * sizeof(float))) return st;
  p.partial = partial.as<float>();
  if (int st = launch_gemm(op, p, shape, parts, k_chunk, stream)) return st;
  return pvll_cuda::sum_partials(op, partial.as<float>(), dw, (long long)p.M * p.N, parts, accumulate, stream);
}

// ---------------------------------------------------------------- bias gradient

/** Block (split, co) sums dy[img, co, :] over images [split*per_block, ...) into partial[split][co]. */
__global__ void __launch_bounds__(kThreads)
    bias_grad_kernel(const float* __restrict__ dy, float* __restrict__ partial, int n, int cout, int opix,
                     int per_block) {
  __shared__ float red[kThreads / 32];
  const int split = blockIdx.x, co = blockIdx.y;
  const int img0 = split * per_block, img1 = min(n, img0 + per_block);
  float acc = 0.f;
  for (int img = img0; img < img1; ++img) {
    const float* row = dy + ((long long)img * cout + co) * opix;
    for (int p = threadIdx.x; p < opix; p += blockDim.x) acc += __ldg(row + p);
  }
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    float sum = 0.f;
    for (int i = 0; i < kThreads / 32; ++i) sum += red[i];
    partial[(long long)split * cout + co] = sum;
  }
}

int bias_grad(const char* op, const float* dy, float* dbias, int n, int cout, int opix, int accumulate,
              cudaStream_t stream) {
  const int want = std::min(n, std::max(1, (kTargetBlocks + cout - 1) / cout));
  const int per_block = (n + want - 1) / want, parts = (n + per_block - 1) / per_block;
  CUDA_REQUIRE(cout <= 65535, "%s: cout=%d is too large", op, cout);
  pvll_cuda::Scratch partial(stream);
  if (int st = partial.alloc((size_t)parts * cout * sizeof(float))) return st;
  bias_grad_kernel<<<dim3(parts, cout), kThreads, 0, stream>>>(dy, partial.as<float>(), n, cout, opix, per_block);
  CUDA_CHECK_LAUNCH(op);
  return pvll_cuda::sum_partials(op, partial.as<float>(), dbias, cout, parts, accumulate, stream);
}

// ---------------------------------------------------------------- checks

int check_conv(const char* op, const void* a, const void* b, const void* c, int n, int cin, int h, int w, int cout,
               int kh, int kw, int stride, int padding, int dilation, ConvDims* d) {
  CUDA_REQUIRE(a && b && c, "%s: NULL tensor pointer", op);
  CUDA_REQUIRE(n > 0 && cin > 0 && h > 0 && w > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && padding >= 0 &&
                   dilation > 0,
               "%s: bad shape n=%d cin=%d h=%d w=%d cout=%d k=%dx%d stride=%d padding=%d dilation=%d", op, n, cin, h,
               w, cout, kh, kw, stride, padding, dilation);
  const int oh = pvll_cuda::conv_out_size(h, kh, stride, padding, dilation);
  const int ow = pvll_cuda::conv_out_size(w, kw, stride, padding, dilation);
  CUDA_REQUIRE(oh > 0 && ow > 0, "%s: kernel %dx%d (dilation %d) does not fit %dx%d with padding %d", op, kh, kw,
               dilation, h, w, padding);
  // GEMM indices are int: every M, N, K must stay below 2^31.
  const long long big = std::max({(long long)n * h * w, (long long)n * oh * ow, (long long)cin * kh * kw,
                                  (long long)cout * kh * kw});
  CUDA_REQUIRE(big < (1LL << 31), "%s: too large for 32-bit GEMM indices", op);
  *d = ConvDims{n, cin, h, w, cout, kh, kw, stride, padding, dilation, oh, ow};
  return PVLL_OK;
}

bool is_plain_1x1(const ConvDims& d) { return d.kh == 1 && d.kw == 1 && d.stride == 1 && d.pad == 0; }

int forward(const char* op, const float* x, const float* w, const float* bias, float* y, int n, int cin, int h,
            int w_in, int cout, int kh, int kw, int stride, int padding, int dilation, cudaStream_t s) {
  ConvDims d;
  if (int st = check_conv(op, x, w, y, n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, &d)) return st;
  if (is_plain_1x1(d)) {
    const int hw = h * w_in;
    return run_gemm(op, PointwiseForward{x, w, bias, y, hw, cin, cout, cout, n * hw, cin}, s);
  }
  return run_gemm(op, ConvForward{x, w, bias, y, d, cout, n * d.oh * d.ow, cin * kh * kw}, s);
}

int backward_input(const char* op, const float* dy, const float* w, float* dx, int n, int cin, int h, int w_in,
                   int cout, int kh, int kw, int stride, int padding, int dilation, int accumulate, cudaStream_t s) {
  ConvDims d;
  if (int st = check_conv(op, dy, w, dx, n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, &d)) return st;
  if (is_plain_1x1(d)) {
    const int hw = h * w_in;
    return run_gemm(op, PointwiseBackwardInput{dy, w, dx, hw, cin, cout, accumulate, cin, n * hw, cout}, s);
  }
  return run_gemm(op, ConvBackwardInput{dy, w, dx, d, accumulate, cin, n * h * w_in, cout * kh * kw}, s);
}

int backward_weight(const char* op, const float* x, const float* dy, float* dw, float* dbias, int n, int cin, int h,
                    int w_in, int cout, int kh, int kw, int stride, int padding, int dilation, int accumulate,
                    cudaStream_t s) {
  ConvDims d;
  if (int st = check_conv(op, x, dy, dw, n, cin, h, w_in, cout, kh, kw, stride, padding, dilation, &d)) return st;
  if (dbias) {
    if (int st = bias_grad(op, dy, dbias, n, cout, d.oh * d.ow, accumulate, s)) return st;
  }
  if (is_plain_1x1(d)) {
    const int hw = h * w_in;
    return run_weight_gemm(op, PointwiseBackwardWeight{x, dy, dw, nullptr, hw, cin, cout, 0, 1, cout, cin, n * hw},
                           dw, accumulate, s);
  }
  return run_weight_gemm(
      op, ConvBackwardWeight{x, dy, dw, nullptr, d, 0, 1, cout, cin * kh * kw, n * d.oh * d.ow}, dw, accumulate, s);
}

}  // namespace

// ---------------------------------------------------------------- the C API

PVLL_API int pvll_cuda_conv2d_forward(const float* x, const float* w, const float* bias, float* y, int n, int cin,
                                      int h, int w_in, int cout, int kh, int kw, int stride, int padding,
                                      int dilation, void* stream) {
  return forward("pvll_cuda_conv2d_forward", x, w, bias, y, n, cin, h, w_in, cout, kh, kw, stride, padding,
                 dilation, ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_conv2d_backward_input(const float* dy, const float* w, float* dx, int n, int cin, int h,
                                             int w_in, int cout, int kh, int kw, int stride, int padding,
                                             int dilation, int accumulate, void* stream) {
  return backward_input("pvll_cuda_conv2d_backward_input", dy, w, dx, n, cin, h, w_in, cout, kh, kw, stride,
                        padding, dilation, accumulate, ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_conv2d_backward_weight(const float* x, const float* dy, float* dw, float* dbias, int n,
                                              int cin, int h, int w_in, int cout, int kh, int kw, int stride,
                                              int padding, int dilation, int accumulate, void* stream) {
  return backward_weight("pvll_cuda_conv2d_backward_weight", x, dy, dw, dbias, n, cin, h, w_in, cout, kh, kw,
                         stride, padding, dilation, accumulate, ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_pointwise_forward(const float* x, const float* w, float* y, int n, int cin, int h, int w_in,
                                         int cout, void* stream) {
  return forward("pvll_cuda_pointwise_forward", x, w, nullptr, y, n, cin, h, w_in, cout, 1, 1, 1, 0, 1,
                 ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_pointwise_backward_input(const float* dy, const float* w, float* dx, int n, int cin, int h,
                                                int w_in, int cout, int accumulate, void* stream) {
  return backward_input("pvll_cuda_pointwise_backward_input", dy, w, dx, n, cin, h, w_in, cout, 1, 1, 1, 0, 1,
                        accumulate, ::pvll_cuda::stream_of(stream));
}

PVLL_API int pvll_cuda_pointwise_backward_weight(const float* x, const float* dy, float* dw, int n, int cin, int h,
                                                 int w_in, int cout, int accumulate, void* stream) {
  return backward_weight("pvll_cuda_pointwise_backward_weight", x, dy, dw, nullptr, n, cin, h, w_in, cout, 1, 1, 1,
                         0, 1, accumulate, ::pvll_cuda::stream_of(stream));
}
