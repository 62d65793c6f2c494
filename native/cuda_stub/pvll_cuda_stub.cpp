// libpvll_cuda.so for builds without nvcc: every function of pvll_cuda.h exists and returns
// PVLL_ERR_NO_CUDA, so the JNI glue links and Java reports why there is no GPU path.
#include "pvll_cuda.h"

#include <cstdio>

namespace {
thread_local char last_error[256] = "";

int no_cuda(const char* function) {
  std::snprintf(last_error, sizeof last_error, "%s: %s", function, PVLL_CUDA_BUILD_STATUS);
  return PVLL_ERR_NO_CUDA;
}
}  // namespace

PVLL_API const char* pvll_cuda_last_error(void) { return last_error; }
PVLL_API const char* pvll_cuda_build_status(void) { return PVLL_CUDA_BUILD_STATUS; }

#define PVLL_CUDA_STUB(name, params) \
  PVLL_API int name params { return no_cuda(#name); }
PVLL_CUDA_FUNCTIONS(PVLL_CUDA_STUB)
PVLL_CUDA_CONV_FUNCTIONS(PVLL_CUDA_STUB)
PVLL_CUDA_LAYER_FUNCTIONS(PVLL_CUDA_STUB)
PVLL_CUDA_GRAPH_FUNCTIONS(PVLL_CUDA_STUB)
PVLL_CUDA_NCCL_FUNCTIONS(PVLL_CUDA_STUB)
