// The device language under the emulated CUDA runtime: qualifiers, the built-in index variables,
// __syncthreads and the warp intrinsics (lock-step groups of 32, the mask honoured, a lane that
// is not named or has exited is a fault), atomics, the math intrinsics the kernels use, shared
// memory as transform.cpp rewrites it, and cudaGraphSetConditional. Every CUDA thread runs on a
// fiber of its block (runtime/block.cpp), so barriers and shuffles really wait for each other.
#pragma once

#include <math.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "emu_types.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
// transform.cpp rewrites every __shared__ declaration; one it missed must not compile
#define __shared__ __shared___must_be_rewritten_by_kernels_dev_emu_transform

constexpr int warpSize = 32;

namespace emu {
/** What one CUDA thread sees: its index, its block's, and the launch geometry. */
struct ThreadView {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
extern thread_local const ThreadView* current_thread __attribute__((visibility("hidden"), tls_model("initial-exec")));

/** The calling CUDA thread (only valid inside a kernel). */
inline const ThreadView& self() { return *current_thread; }

enum class Collective { ShflIdx, ShflUp, ShflDown, ShflXor, Ballot, Any, All, SyncWarp };
__attribute__((visibility("hidden"))) uint64_t warp_collective(Collective kind, unsigned mask, uint64_t value,
                                                               int arg, int width, const char* name);
__attribute__((visibility("hidden"))) void sync_threads();
__attribute__((visibility("hidden"))) void* shared_slot(const void* tag, size_t size, size_t align, const char* name);
__attribute__((visibility("hidden"))) void* dynamic_shared(size_t align);
__attribute__((visibility("hidden"))) void graph_set_conditional(cudaGraphConditionalHandle handle, unsigned value);

template <class T>
inline T shuffle(Collective kind, unsigned mask, T var, int arg, int width, const char* name) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "emulated shuffles move up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  bits = warp_collective(kind, mask, bits, arg, width, name);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

template <class T>
struct SharedRef {
  static T& at(void* slot) { return *static_cast<T*>(slot); }
};
}  // namespace emu

namespace emu {
/** One coordinate of a built-in index variable, read for the calling CUDA thread when used. */
template <int Var, int Axis>
struct BuiltinCoord {
  operator unsigned() const {
    const ThreadView& v = self();
    const unsigned* xyz = Var == 0 ? &v.thread_idx.x : Var == 1 ? &v.block_idx.x : Var == 2 ? &v.block_dim.x : &v.grid_dim.x;
    return xyz[Axis];
  }
};
/** threadIdx, blockIdx, blockDim, gridDim: objects, not macros, so that host code may name struct members alike. */
template <int Var>
struct Builtin {
  BuiltinCoord<Var, 0> x;
  BuiltinCoord<Var, 1> y;
  BuiltinCoord<Var, 2> z;
};
}  // namespace emu
constexpr emu::Builtin<0> threadIdx{};
constexpr emu::Builtin<1> blockIdx{};
constexpr emu::Builtin<2> blockDim{};
constexpr emu::Builtin<3> gridDim{};

inline void __syncthreads() { ::emu::sync_threads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::emu::warp_collective(::emu::Collective::SyncWarp, mask, 0, 0, 32, "__syncwarp");
}
template <class T>
inline T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
  return ::emu::shuffle(::emu::Collective::ShflIdx, mask, var, src_lane, width, "__shfl_sync");
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::emu::shuffle(::emu::Collective::ShflUp, mask, var, (int)delta, width, "__shfl_up_sync");
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::emu::shuffle(::emu::Collective::ShflDown, mask, var, (int)delta, width, "__shfl_down_sync");
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  return ::emu::shuffle(::emu::Collective::ShflXor, mask, var, lane_mask, width, "__shfl_xor_sync");
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return (unsigned)::emu::warp_collective(::emu::Collective::Ballot, mask, predicate != 0, 0, 32, "__ballot_sync");
}
inline int __any_sync(unsigned mask, int predicate) {
  return (int)::emu::warp_collective(::emu::Collective::Any, mask, predicate != 0, 0, 32, "__any_sync");
}
inline int __all_sync(unsigned mask, int predicate) {
  return (int)::emu::warp_collective(::emu::Collective::All, mask, predicate != 0, 0, 32, "__all_sync");
}
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/** Sets a conditional node's value from device code (graphs.cpp); one thread per handle and launch. */
inline void cudaGraphSetConditional(cudaGraphConditionalHandle handle, unsigned int value) {
  ::emu::graph_set_conditional(handle, value);
}

// ---------------------------------------------------------------- loads and math
template <class T>
inline T __ldg(const T* p) {
  return *p;
}
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __frcp_rn(float a) { return 1.f / a; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __expf(float a) { return expf(a); }
inline float __logf(float a) { return logf(a); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float rsqrtf(float a) { return 1.f / sqrtf(a); }
inline float __saturatef(float a) { return a < 0.f ? 0.f : (a > 1.f ? 1.f : a); }
inline int __float_as_int(float f) {
  int i;
  std::memcpy(&i, &f, 4);
  return i;
}
inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline unsigned __float_as_uint(float f) { return (unsigned)__float_as_int(f); }
inline float __uint_as_float(unsigned u) { return __int_as_float((int)u); }

inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

// ---------------------------------------------------------------- atomics (relaxed, as on a GPU)
template <class T>
inline T emu_atomic_add(T* p, T v) {
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
inline int atomicAdd(int* p, int v) { return emu_atomic_add(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return emu_atomic_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return emu_atomic_add(p, v); }
template <class F, class I>
inline F emu_atomic_float_add(F* p, F v) {
  static_assert(sizeof(F) == sizeof(I), "same width");
  I old_bits = __atomic_load_n(reinterpret_cast<I*>(p), __ATOMIC_RELAXED), new_bits;
  F old;
  do {
    std::memcpy(&old, &old_bits, sizeof(F));
    const F sum = old + v;
    std::memcpy(&new_bits, &sum, sizeof(F));
  } while (!__atomic_compare_exchange_n(reinterpret_cast<I*>(p), &old_bits, new_bits, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  return old;
}
inline float atomicAdd(float* p, float v) { return emu_atomic_float_add<float, uint32_t>(p, v); }
inline double atomicAdd(double* p, double v) { return emu_atomic_float_add<double, uint64_t>(p, v); }
inline int atomicSub(int* p, int v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicSub(unsigned* p, unsigned v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }
template <class T>
inline T emu_atomic_exch(T* p, T v) {
  return __atomic_exchange_n(p, v, __ATOMIC_RELAXED);
}
inline int atomicExch(int* p, int v) { return emu_atomic_exch(p, v); }
inline unsigned atomicExch(unsigned* p, unsigned v) { return emu_atomic_exch(p, v); }
inline unsigned long long atomicExch(unsigned long long* p, unsigned long long v) { return emu_atomic_exch(p, v); }
inline float atomicExch(float* p, float v) {
  return __int_as_float(emu_atomic_exch(reinterpret_cast<int*>(p), __float_as_int(v)));
}
template <class T>
inline T emu_atomic_cas(T* p, T compare, T v) {
  __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return compare;
}
inline int atomicCAS(int* p, int c, int v) { return emu_atomic_cas(p, c, v); }
inline unsigned atomicCAS(unsigned* p, unsigned c, unsigned v) { return emu_atomic_cas(p, c, v); }
inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long c, unsigned long long v) {
  return emu_atomic_cas(p, c, v);
}
template <class T, class Pick>
inline T emu_atomic_pick(T* p, T v, Pick keep_old) {
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (!keep_old(old, v) &&
         !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return old;
}
#define EMU_ATOMIC_MIN_MAX(T)                                                                 \
  inline T atomicMin(T* p, T v) { return emu_atomic_pick(p, v, [](T o, T n) { return o <= n; }); } \
  inline T atomicMax(T* p, T v) { return emu_atomic_pick(p, v, [](T o, T n) { return o >= n; }); }
EMU_ATOMIC_MIN_MAX(int)
EMU_ATOMIC_MIN_MAX(unsigned)
EMU_ATOMIC_MIN_MAX(long long)
EMU_ATOMIC_MIN_MAX(unsigned long long)
#undef EMU_ATOMIC_MIN_MAX
inline int atomicAnd(int* p, int v) { return __atomic_fetch_and(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicAnd(unsigned* p, unsigned v) { return __atomic_fetch_and(p, v, __ATOMIC_RELAXED); }
inline int atomicOr(int* p, int v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicOr(unsigned* p, unsigned v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
inline int atomicXor(int* p, int v) { return __atomic_fetch_xor(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicXor(unsigned* p, unsigned v) { return __atomic_fetch_xor(p, v, __ATOMIC_RELAXED); }
