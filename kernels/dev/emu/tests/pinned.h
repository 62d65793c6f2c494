// Pinned host memory (cudaHostAlloc through pvll) as a std::vector allocator, for the checks that
// run the CUDA kernels on host vectors: GPU kernels may read and write pinned memory directly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "pvll_cuda.h"

namespace pvll_check {
template <class T>
struct Pinned {
  using value_type = T;
  Pinned() = default;
  template <class U>
  Pinned(const Pinned<U>&) {}
  T* allocate(size_t n) {
    void* p = nullptr;
    if (pvll_cuda_host_alloc_pinned((int64_t)(n * sizeof(T)), &p) != PVLL_OK) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { pvll_cuda_host_free_pinned(p); }
  friend bool operator==(const Pinned&, const Pinned&) { return true; }
  friend bool operator!=(const Pinned&, const Pinned&) { return false; }
};
/** A vector in pinned host memory. */
template <class T>
using PinnedVec = std::vector<T, Pinned<T>>;
}  // namespace pvll_check
