// The parts of kernels/runtime.cu the layer kernels call, for the host emulation: error messages
// and scratch memory (plain malloc; emulated launches finish before they return).
#include <cstdarg>
#include <cstdlib>

#include "cuda_check.cuh"
#include "scratch.cuh"

namespace {
thread_local char last_error[1024] = "";
}

namespace pvll_cuda {
cudaStream_t stream_of(void* stream) { return stream; }
int fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}
int scratch_alloc(size_t bytes, void** out) {
  *out = std::malloc(bytes ? bytes : 1);
  return *out ? PVLL_OK : PVLL_ERR_OUT_OF_MEMORY;
}
int scratch_release(void* ptr, cudaStream_t) {
  std::free(ptr);
  return PVLL_OK;
}
}  // namespace pvll_cuda

PVLL_API const char* pvll_cuda_last_error(void) { return last_error; }
