// Error handling shared by every CUDA file: a thread-local message and macros that check
// each runtime call and each kernel launch and return a status instead of aborting.
#pragma once
#include <cuda_runtime.h>

#include "pvll_cuda.h"

namespace pvll_cuda {
/** Stores the printf-style message as this thread's last error; returns status. */
int fail(int status, const char* format, ...);

/**
 * The stream an op given `stream` enqueues on: stream itself, or for NULL this thread's current
 * stream (pvll_cuda_set_thread_stream; the legacy default stream unless set, and the capturing
 * stream while a graph is being captured on this thread).
 */
cudaStream_t stream_of(void* stream);
}

/**
 * Returns PVLL_ERR_CUDA with the op name and cudaGetErrorString when call fails. A failed call
 * also becomes the thread's last error: it is cleared here, or the next launch check
 * (CUDA_CHECK_LAUNCH) would report it as its own (a sticky error stays whatever one does).
 */
#define CUDA_CHECK(op, call)                                                                  \
  do {                                                                                       \
    cudaError_t err_ = (call);                                                               \
    if (err_ != cudaSuccess) {                                                               \
      (void)cudaGetLastError();                                                              \
      return ::pvll_cuda::fail(PVLL_ERR_CUDA, "%s: %s failed: %s (%s, %d)", op, #call,         \
                               cudaGetErrorString(err_), cudaGetErrorName(err_), (int)err_);  \
    }                                                                                        \
  } while (0)

/** Checks the launch just made (configuration errors surface here, not at the next sync). */
#define CUDA_CHECK_LAUNCH(op) CUDA_CHECK(op, cudaGetLastError())

#define CUDA_REQUIRE(cond, ...)                                                              \
  do {                                                                                       \
    if (!(cond)) return ::pvll_cuda::fail(PVLL_ERR_INVALID_ARGUMENT, __VA_ARGS__);           \
  } while (0)

/** Grid size for a grid-stride loop over n elements. */
inline unsigned pvll_grid_for(long long n, int block) {
  long long blocks = (n + block - 1) / block;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535LL * 32) blocks = 65535LL * 32;
  return (unsigned)blocks;
}
