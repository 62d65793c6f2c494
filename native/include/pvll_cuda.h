/*
 * pvll_cuda.h - the flat C API of the pvll CUDA kernels (libpvll_cuda.so).
 *
 * Same conventions as the CPU API: int status, thread-local message in
 * pvll_cuda_last_error(), never exits. Device pointers are plain float*, every op takes the
 * cudaStream_t it runs on as void* (NULL = the legacy default stream) and only enqueues work.
 *
 * The function list is written once, as PVLL_CUDA_FUNCTIONS(X), so that a build without nvcc
 * can define every function as a stub returning PVLL_ERR_NO_CUDA (native/cuda_stub/).
 */
#ifndef PVLL_CUDA_H
#define PVLL_CUDA_H

#include "pvll_common.h"

/** Message of the last failed CUDA-library call on this thread ("" when none). */
PVLL_API const char* pvll_cuda_last_error(void);
/** How this library was built, e.g. "built with nvcc 13.0.88" or the stub's reason. */
PVLL_API const char* pvll_cuda_build_status(void);

#define PVLL_CUDA_FUNCTIONS(X)                                                                \
  /* --- devices and memory --- */                                                            \
  X(pvll_cuda_device_count, (int* count))                                                     \
  X(pvll_cuda_versions, (int* driver_version, int* runtime_version))                          \
  X(pvll_cuda_device_info, (int device, char* name, int name_capacity, int64_t* total_bytes,  \
                            int* major, int* minor, int* multiprocessors))                   \
  X(pvll_cuda_memory_info, (int device, int64_t* free_bytes, int64_t* total_bytes))          \
  X(pvll_cuda_malloc, (int device, int64_t bytes, void** out))                                \
  X(pvll_cuda_free, (int device, void* ptr))                                                  \
  X(pvll_cuda_cached_bytes, (int device, int64_t* cached, int64_t* in_use))                   \
  X(pvll_cuda_release_cache, (int device))                                                    \
  X(pvll_cuda_copy_to_device, (int device, const float* host, float* dev, int64_t count))    \
  X(pvll_cuda_copy_to_host, (int device, const float* dev, float* host, int64_t count))      \
  X(pvll_cuda_copy_device, (int device, const float* src, float* dst, int64_t count, void* stream)) \
  X(pvll_cuda_fill, (int device, float* dst, float value, int64_t count, void* stream))      \
  X(pvll_cuda_synchronize, (int device))                                                      \
  /* --- elementwise --- */                                                                   \
  X(pvll_cuda_relu_forward, (const float* x, float* y, int64_t n, void* stream))              \
  X(pvll_cuda_relu_backward, (const float* x, const float* dy, float* dx, int64_t n, void* stream)) \
  X(pvll_cuda_scale_add, (const float* x, float alpha, float* y, int64_t n, int accumulate, void* stream))

#define PVLL_CUDA_DECLARE(name, params) PVLL_API int name params;
PVLL_CUDA_FUNCTIONS(PVLL_CUDA_DECLARE)
#undef PVLL_CUDA_DECLARE

#include "pvll_cuda_conv.h" /* PVLL_CUDA_CONV_FUNCTIONS */
#include "pvll_cuda_layers.h" /* layer ops, pinned memory, streams, events */
#include "pvll_cuda_graph.h"  /* graph capture, switch nodes, device-scalar step ops */
#include "pvll_cuda_nccl.h"   /* NCCL collectives between CUDA ranks */

#endif
