// Kernels on the emulated CUDA device: __syncthreads really waits (a read across threads without
// it sees poison), warp shuffles and votes in lock-step groups of 32 with the mask honoured,
// atomics from many blocks, static and dynamic shared memory (poisoned, with the real limits),
// the launch limits with the real error codes, and the faults a GPU would hit (a lane outside
// the mask, a lane that exited, divergent collectives, a host pointer): sticky and named.
// Built by CMake through the emulator's transform; run by ctest (emu_kernel_test).
#include <cmath>
#include <vector>

#include "emu_test.h"

namespace {
constexpr int kBlock = 256;

__global__ void reverse_kernel(const float* in, float* out, int with_barrier) {
  __shared__ float tile[kBlock];
  const int t = threadIdx.x;
  tile[t] = in[blockIdx.x * kBlock + t];
  if (with_barrier) __syncthreads();
  out[blockIdx.x * kBlock + t] = tile[kBlock - 1 - t];
}

__global__ void shuffle_kernel(const float* in, float* sums, float* broadcast, float* up, float* xr, float* half) {
  const int t = threadIdx.x, lane = t & 31;
  float v = in[t];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  if (lane == 0) sums[t / 32] = v;
  broadcast[t] = __shfl_sync(0xffffffffu, in[t], 5);
  up[t] = __shfl_up_sync(0xffffffffu, in[t], 1);
  xr[t] = __shfl_xor_sync(0xffffffffu, in[t], 1);
  half[t] = __shfl_down_sync(0xffffffffu, in[t], 4, 16);  // width 16: segments of 16 lanes
}

__global__ void partial_mask_kernel(const float* in, float* out) {
  const int lane = threadIdx.x & 31;
  if (lane < 16) out[threadIdx.x] = __shfl_down_sync(0x0000ffffu, in[threadIdx.x], 8);  // only the low half
}

__global__ void vote_kernel(const int* pred, unsigned* ballot, int* any, int* all) {
  const int t = threadIdx.x;
  const unsigned b = __ballot_sync(0xffffffffu, pred[t]);
  const int a = __any_sync(0xffffffffu, pred[t]), l = __all_sync(0xffffffffu, pred[t]);
  if ((t & 31) == 0) ballot[t / 32] = b, any[t / 32] = a, all[t / 32] = l;
}

__global__ void atomic_kernel(int* counter, float* fsum, unsigned long long* lowest) {
  atomicAdd(counter, 1);
  atomicAdd(fsum, 0.5f);
  atomicMin(lowest, (unsigned long long)(blockIdx.x * blockDim.x + threadIdx.x + 7));
}

__global__ void dynamic_shared_kernel(float* out, int n) {
  extern __shared__ float dyn[];
  __shared__ float unwritten[4];
  for (int i = threadIdx.x; i < n; i += blockDim.x) dyn[i] = (float)i;
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0;
    for (int i = 0; i < n; ++i) s += dyn[i];
    out[0] = s;
    out[1] = unwritten[2];  // never written: poison
  }
}

__global__ void plain_kernel(float* out) { out[threadIdx.x] = 1.f; }

__global__ void lane_not_in_mask_kernel(float* out) {
  out[threadIdx.x] = __shfl_down_sync(0x0000ffffu, 1.f, 1);  // lanes 16..31 call with a mask without them
}

__global__ void exited_lane_kernel(float* out) {
  if (threadIdx.x == 3) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1);
}

__global__ void divergent_kernel(float* out) {  // half a warp at a barrier, half at a full-warp shuffle
  if (threadIdx.x < 16) __syncthreads();
  else out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1);
}

__global__ void overrun_kernel(float* out, int n) { out[n] = 1.f; }

std::vector<float> iota(int n) {
  std::vector<float> v((size_t)n);
  for (int i = 0; i < n; ++i) v[(size_t)i] = (float)i * 0.25f - 3.f;
  return v;
}

float* device_copy(const std::vector<float>& h) {
  float* d = nullptr;
  CHECK_OK(cudaMalloc(&d, h.size() * sizeof(float)));
  CHECK_OK(cudaMemcpy(d, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice));
  return d;
}

std::vector<float> host_copy(const float* d, size_t n) {
  std::vector<float> h(n);
  CHECK_OK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

void barriers() {
  const int blocks = 3, n = blocks * kBlock;
  float* in = device_copy(iota(n));
  float* out = nullptr;
  CHECK_OK(cudaMalloc(&out, n * sizeof(float)));
  reverse_kernel<<<blocks, kBlock>>>(in, out, 1);
  CHECK_OK(cudaGetLastError());
  auto r = host_copy(out, n);
  bool ok = true;
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < kBlock; ++t) ok = ok && r[(size_t)(b * kBlock + t)] == (float)(b * kBlock + kBlock - 1 - t) * 0.25f - 3.f;
  CHECK(ok);
  // without the barrier the first threads read slots later threads have not written yet
  reverse_kernel<<<blocks, kBlock>>>(in, out, 0);
  r = host_copy(out, n);
  int poisoned = 0;
  for (float v : r) poisoned += std::isnan(v);
  CHECK(poisoned > 0);
  CHECK_OK(cudaFree(in));
  CHECK_OK(cudaFree(out));
}

void shuffles() {
  const int n = 64;
  const auto h = iota(n);
  float* in = device_copy(h);
  float *sums, *bc, *up, *xr, *half, *part;
  for (float** p : {&sums, &bc, &up, &xr, &half, &part}) CHECK_OK(cudaMalloc(p, n * sizeof(float)));
  shuffle_kernel<<<1, n>>>(in, sums, bc, up, xr, half);
  CHECK_OK(cudaGetLastError());
  auto s = host_copy(sums, 2), b = host_copy(bc, n), u = host_copy(up, n), x = host_copy(xr, n), hf = host_copy(half, n);
  for (int w = 0; w < 2; ++w) {
    double want = 0;
    for (int l = 0; l < 32; ++l) want += h[(size_t)(w * 32 + l)];
    CHECK(std::fabs(s[(size_t)w] - want) < 1e-4);
  }
  bool ok = true;
  for (int t = 0; t < n; ++t) {
    const int lane = t & 31, base = t - lane;
    ok = ok && b[(size_t)t] == h[(size_t)(base + 5)];
    ok = ok && u[(size_t)t] == h[(size_t)(lane >= 1 ? t - 1 : t)];
    ok = ok && x[(size_t)t] == h[(size_t)(t ^ 1)];
    ok = ok && hf[(size_t)t] == h[(size_t)((lane % 16) + 4 < 16 ? t + 4 : t)];
  }
  CHECK(ok);
  CHECK_OK(cudaMemset(part, 0, n * sizeof(float)));
  partial_mask_kernel<<<1, 32>>>(in, part);
  CHECK_OK(cudaGetLastError());
  auto p = host_copy(part, 32);
  ok = true;
  for (int l = 0; l < 8; ++l) ok = ok && p[(size_t)l] == h[(size_t)(l + 8)];
  for (int l = 8; l < 16; ++l) ok = ok && std::isnan(p[(size_t)l]);  // sources 16..23 are not in the mask: undefined
  CHECK(ok);
  for (float* q : {in, sums, bc, up, xr, half, part}) CHECK_OK(cudaFree(q));
}

void votes() {
  std::vector<int> pred(64, 0);
  pred[3] = pred[31] = 1;
  for (int i = 32; i < 64; ++i) pred[(size_t)i] = 1;
  int *dp, *any, *all;
  unsigned* ballot;
  CHECK_OK(cudaMalloc(&dp, 64 * sizeof(int)));
  CHECK_OK(cudaMalloc(&any, 2 * sizeof(int)));
  CHECK_OK(cudaMalloc(&all, 2 * sizeof(int)));
  CHECK_OK(cudaMalloc(&ballot, 2 * sizeof(unsigned)));
  CHECK_OK(cudaMemcpy(dp, pred.data(), 64 * sizeof(int), cudaMemcpyHostToDevice));
  vote_kernel<<<1, 64>>>(dp, ballot, any, all);
  unsigned hb[2];
  int ha[2], hl[2];
  CHECK_OK(cudaMemcpy(hb, ballot, sizeof hb, cudaMemcpyDeviceToHost));
  CHECK_OK(cudaMemcpy(ha, any, sizeof ha, cudaMemcpyDeviceToHost));
  CHECK_OK(cudaMemcpy(hl, all, sizeof hl, cudaMemcpyDeviceToHost));
  CHECK(hb[0] == ((1u << 3) | (1u << 31)) && hb[1] == 0xffffffffu);
  CHECK(ha[0] == 1 && ha[1] == 1 && hl[0] == 0 && hl[1] == 1);
  for (void* q : {(void*)dp, (void*)any, (void*)all, (void*)ballot}) CHECK_OK(cudaFree(q));
}

void atomics_and_shared() {
  int* counter;
  float* fsum;
  unsigned long long* lowest;
  CHECK_OK(cudaMalloc(&counter, sizeof(int)));
  CHECK_OK(cudaMalloc(&fsum, sizeof(float)));
  CHECK_OK(cudaMalloc(&lowest, sizeof(unsigned long long)));
  CHECK_OK(cudaMemset(counter, 0, sizeof(int)));
  CHECK_OK(cudaMemset(fsum, 0, sizeof(float)));
  CHECK_OK(cudaMemset(lowest, 0xff, sizeof(unsigned long long)));
  atomic_kernel<<<7, 96>>>(counter, fsum, lowest);
  int c = 0;
  float f = 0;
  unsigned long long lo = 0;
  CHECK_OK(cudaMemcpy(&c, counter, sizeof c, cudaMemcpyDeviceToHost));
  CHECK_OK(cudaMemcpy(&f, fsum, sizeof f, cudaMemcpyDeviceToHost));
  CHECK_OK(cudaMemcpy(&lo, lowest, sizeof lo, cudaMemcpyDeviceToHost));
  CHECK(c == 7 * 96 && f == 7 * 96 * 0.5f && lo == 7);
  float* out;
  CHECK_OK(cudaMalloc(&out, 2 * sizeof(float)));
  const int n = 1000;
  dynamic_shared_kernel<<<2, 128, n * sizeof(float)>>>(out, n);
  CHECK_OK(cudaGetLastError());
  auto r = host_copy(out, 2);
  CHECK(r[0] == (float)(n * (n - 1) / 2) && std::isnan(r[1]));
  for (void* q : {(void*)counter, (void*)fsum, (void*)lowest, (void*)out}) CHECK_OK(cudaFree(q));
}

void limits() {
  float* out;
  CHECK_OK(cudaMalloc(&out, 64 * 1024 * sizeof(float)));
  plain_kernel<<<1, 1025>>>(out);
  CHECK_ERR(cudaGetLastError(), cudaErrorInvalidConfiguration);
  CHECK_OK(cudaGetLastError());  // the launch error is not sticky
  plain_kernel<<<dim3(1, 65536), 32>>>(out);
  CHECK_ERR(cudaGetLastError(), cudaErrorInvalidConfiguration);
  plain_kernel<<<dim3(1, 1, 65536), 32>>>(out);
  CHECK_ERR(cudaGetLastError(), cudaErrorInvalidConfiguration);
  plain_kernel<<<1, dim3(1, 1, 65)>>>(out);
  CHECK_ERR(cudaGetLastError(), cudaErrorInvalidConfiguration);
  plain_kernel<<<dim3(1, 65535), 32>>>(out);
  CHECK_OK(cudaGetLastError());
  dynamic_shared_kernel<<<1, 32, 48 * 1024 + 4>>>(out, 10);
  CHECK_ERR(cudaGetLastError(), cudaErrorInvalidValue);
  CHECK_OK(cudaFuncSetAttribute(dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024));
  dynamic_shared_kernel<<<1, 32, 64 * 1024>>>(out, 16 * 1024);
  CHECK_OK(cudaGetLastError());
  CHECK_OK(cudaDeviceSynchronize());
  std::vector<float> host(32);
  plain_kernel<<<1, 32>>>(host.data());  // a host pointer: a GPU would fault
  const cudaError_t e = cudaGetLastError();
  CHECK(e == cudaErrorInvalidValue && std::strstr(cudaGetErrorString(e), "neither device nor pinned") != nullptr);
  CHECK_OK(cudaFree(out));
}

float* scratch(size_t n) {
  float* p = nullptr;
  cudaMalloc(&p, n * sizeof(float));
  return p;
}

ISOLATED(lane_not_in_mask) {
  lane_not_in_mask_kernel<<<1, 32>>>(scratch(32));
  std::printf("sync: %s\n", emu_test::text(cudaDeviceSynchronize()).c_str());
  std::printf("after: %s\n", emu_test::text(cudaMemset(scratch(1), 0, 4)).c_str());
}
ISOLATED(exited_lane) {
  exited_lane_kernel<<<1, 32>>>(scratch(32));
  std::printf("sync: %s\n", emu_test::text(cudaDeviceSynchronize()).c_str());
}
ISOLATED(divergent) {
  divergent_kernel<<<1, 32>>>(scratch(64));
  std::printf("sync: %s\n", emu_test::text(cudaDeviceSynchronize()).c_str());
}
ISOLATED(overrun) {
  float* p = scratch(10);
  overrun_kernel<<<1, 1>>>(p, 10);
  std::printf("sync: %s\n", emu_test::text(cudaDeviceSynchronize()).c_str());
}
ISOLATED(overrun_seen_at_free) {
  float* p = scratch(10);
  overrun_kernel<<<1, 1>>>(p, 12);  // past the end but the kernel's check skips nothing: free finds it
  std::printf("free: %s\n", emu_test::text(cudaFree(p)).c_str());
}

void faults() {
  emu_test::expect_child("lane_not_in_mask", {"sync: cudaErrorLaunchFailure", "does not name the calling lane 16",
                                    "lane_not_in_mask_kernel", "after: cudaErrorLaunchFailure"}, __LINE__);
  emu_test::expect_child("exited_lane", {"sync: cudaErrorLaunchFailure", "lane 3 has exited"}, __LINE__);
  emu_test::expect_child("divergent", {"sync: cudaErrorLaunchFailure", "lanes 0-15 wait at __syncthreads"}, __LINE__);
  emu_test::expect_child("overrun", {"sync: cudaErrorIllegalAddress", "byte 0 after its end", "overrun_kernel"}, __LINE__);
  emu_test::expect_child("overrun_seen_at_free", {"cudaErrorIllegalAddress", "after its end"}, __LINE__);
}

void all() {
  barriers();
  shuffles();
  votes();
  atomics_and_shared();
  limits();
  faults();
}
}  // namespace

int main(int argc, char** argv) { return emu_test::main(argc, argv, all); }
