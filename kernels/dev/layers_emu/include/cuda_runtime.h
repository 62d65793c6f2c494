// Host emulation of the bits of the CUDA runtime and device language the layer kernels use, so
// that kernels/*.cu run on the CPU (slowly, one OS thread per CUDA thread of a block) and their
// logic can be checked against the CPU kernels on a machine without a GPU. See check.sh.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorNotReady = 600 };
typedef void* cudaStream_t;
typedef void* cudaEvent_t;
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }
inline const char* cudaGetErrorName(cudaError_t) { return "emulated"; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }

namespace emu {
inline thread_local dim3 thread_index, block_index;
inline dim3 block_dim, grid_dim;
inline std::barrier<>* block_barrier;
inline std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
inline std::vector<std::array<uint64_t, 32>> warp_slots;
inline std::mutex atomic_mutex;

struct Config {
  dim3 grid, block;
};
inline Config cfg(dim3 grid, dim3 block, size_t = 0, cudaStream_t = nullptr) { return {grid, block}; }

/** Runs body as the kernel over the grid: blocks one after another, a block's threads at once. */
inline void launch(Config c, const std::function<void()>& body) {
  const unsigned threads = c.block.x * c.block.y * c.block.z;
  if (threads > 32 && threads % 32 != 0) {
    std::fprintf(stderr, "emu: block size %u is not a multiple of 32\n", threads);
    std::abort();
  }
  block_dim = c.block;
  grid_dim = c.grid;
  std::barrier<> bar(threads);
  block_barrier = &bar;
  warp_barriers.clear();
  const unsigned warps = (threads + 31) / 32;
  for (unsigned w = 0; w < warps; ++w) warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads)));
  warp_slots.assign(warps, {});
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      thread_index = dim3(t % c.block.x, (t / c.block.x) % c.block.y, t / (c.block.x * c.block.y));
      for (unsigned by = 0; by < c.grid.y; ++by)
        for (unsigned bx = 0; bx < c.grid.x; ++bx) {
          block_index = dim3(bx, by, 0);
          body();
          bar.arrive_and_wait();  // the block's shared (static) memory is reused by the next block
        }
    });
  }
  for (auto& th : pool) th.join();
}
}  // namespace emu

#define threadIdx (emu::thread_index)
#define blockIdx (emu::block_index)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)

inline void __syncthreads() { emu::block_barrier->arrive_and_wait(); }

template <class T>
T __shfl_down_sync(unsigned, T v, int offset) {
  static_assert(sizeof(T) <= 8, "emu shuffle");
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  auto& slots = emu::warp_slots[warp];
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  slots[lane] = bits;
  emu::warp_barriers[warp]->arrive_and_wait();
  T out = v;
  if (lane + offset < 32) std::memcpy(&out, &slots[lane + offset], sizeof(T));
  emu::warp_barriers[warp]->arrive_and_wait();
  return out;
}

inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
  std::lock_guard<std::mutex> lock(emu::atomic_mutex);
  unsigned long long old = *p;
  if (v < old) *p = v;
  return old;
}

inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
using std::isfinite;
using std::isnan;
using std::max;
using std::min;
