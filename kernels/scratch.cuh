// Scratch device memory for the layer kernels: blocks from the caching allocator of runtime.cu
// that go back to the cache only once the work enqueued on their stream has finished (an event
// is recorded at release and polled at the next scratch request), so a block freed while a
// kernel on one stream still reads it is never handed to another stream. Not graph-capturable.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace pvll_cuda {
/** bytes of device scratch on the current device; returns a pvll status. */
int scratch_alloc(size_t bytes, void** out);
/** Gives ptr back once the work enqueued so far on stream is done. */
int scratch_release(void* ptr, cudaStream_t stream);

/** Owns one scratch block; releases it on stream when it goes out of scope. */
class Scratch {
 public:
  explicit Scratch(cudaStream_t stream) : stream_(stream) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (ptr_) scratch_release(ptr_, stream_);
  }
  int alloc(size_t bytes) { return scratch_alloc(bytes, &ptr_); }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  cudaStream_t stream_;
  void* ptr_ = nullptr;
};
}  // namespace pvll_cuda
