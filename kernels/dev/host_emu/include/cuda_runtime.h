// Host emulation of the small part of CUDA the conv kernels use, so their index arithmetic,
// tiling, splits and accumulate handling can be checked on a machine without a GPU
// (kernels/dev/host_emu/run.sh). Each block runs as blockDim.x std::threads with a real
// barrier for __syncthreads; blocks run one after another, so __shared__ becomes static.
// Not a race detector for warp-level behaviour: racecheck on the GPU remains the check.
#pragma once
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct float4 {
  float x, y, z, w;
};
typedef struct CUstream_st* cudaStream_t;
enum cudaError_t { cudaSuccess = 0 };
inline const char* cudaGetErrorString(cudaError_t) { return "no error"; }
inline const char* cudaGetErrorName(cudaError_t) { return "cudaSuccess"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace emu {
inline std::barrier<>* block_barrier = nullptr;
inline std::vector<float> dynamic_smem_buffer;
inline std::vector<float> shfl_slots;
inline float* dynamic_smem() { return dynamic_smem_buffer.data(); }

struct Launch {
  dim3 grid, block;
  size_t smem;
  Launch(dim3 g, dim3 b, size_t s = 0, cudaStream_t = nullptr) : grid(g), block(b), smem(s) {}
  Launch(dim3 g, int b, size_t s = 0, cudaStream_t = nullptr) : grid(g), block(dim3((unsigned)b)), smem(s) {}
  Launch(unsigned g, int b, size_t s = 0, cudaStream_t = nullptr) : grid(dim3(g)), block(dim3((unsigned)b)), smem(s) {}
  template <typename K, typename... A>
  void run(K kernel, A... args) {
    gridDim = grid;
    blockDim = block;
    const unsigned threads = block.x * block.y * block.z;
    std::barrier<> bar((std::ptrdiff_t)threads);
    block_barrier = &bar;
    dynamic_smem_buffer.assign(smem / sizeof(float) + 1, 0.f);
    shfl_slots.assign(threads, 0.f);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        threadIdx = dim3(t);
        for (unsigned z = 0; z < grid.z; ++z)
          for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
              blockIdx = dim3(x, y, z);
              if (t == 0)  // poison: a read of shared memory nothing wrote shows up as NaN
                std::fill(dynamic_smem_buffer.begin(), dynamic_smem_buffer.end(), std::numeric_limits<float>::quiet_NaN());
              bar.arrive_and_wait();
              kernel(args...);
              bar.arrive_and_wait();
            }
      });
    for (auto& th : pool) th.join();
    block_barrier = nullptr;
  }
};
}  // namespace emu

inline void __syncthreads() { emu::block_barrier->arrive_and_wait(); }
// Every shuffle in the conv kernels is reached by the whole block at once, so a block barrier
// around an exchange through memory gives the same values.
inline float __shfl_down_sync(unsigned, float v, int off) {
  const unsigned t = threadIdx.x, lane = t & 31;
  emu::shfl_slots[t] = v;
  emu::block_barrier->arrive_and_wait();
  const float r = lane + off < 32 ? emu::shfl_slots[t + off] : v;
  emu::block_barrier->arrive_and_wait();
  return r;
}
template <typename T>
inline T __ldg(const T* p) { return *p; }
using std::fmaf;
inline int min(int a, int b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
