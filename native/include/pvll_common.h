/*
 * pvll_common.h - status codes, errors, threads and host memory of the pvll native kernels.
 *
 * Every function of the pvll C API returns an int status (PVLL_OK = 0) and never exits or
 * aborts; on failure pvll_last_error() gives a thread-local message naming the function.
 * Tensors are plain float32 buffers in NCHW order; sizes are int64_t element counts.
 */
#ifndef PVLL_COMMON_H
#define PVLL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PVLL_EXTERN_C extern "C"
#else
#define PVLL_EXTERN_C
#endif
#define PVLL_API PVLL_EXTERN_C __attribute__((visibility("default")))

enum pvll_status {
  PVLL_OK = 0,
  PVLL_ERR_INVALID_ARGUMENT = 1, /* a shape, size or pointer that the op cannot take */
  PVLL_ERR_OUT_OF_MEMORY = 2,    /* host or device allocation failed */
  PVLL_ERR_CUDA = 3,             /* a CUDA runtime call or kernel launch failed */
  PVLL_ERR_NO_CUDA = 4,          /* this build or this machine has no usable CUDA */
  PVLL_ERR_CUDNN = 5,            /* a cuDNN call failed */
  PVLL_ERR_INTERNAL = 6,         /* a bug: please report it with the message */
  PVLL_ERR_COLLECTIVE = 7,       /* a collective across ranks failed or timed out (pvll_collectives.h) */
  PVLL_ERR_UNAVAILABLE = 8       /* a library the call needs is missing from this build or machine (MPI, NCCL) */
};

/** Message of the last failed call on this thread ("" when none). Never NULL. */
PVLL_API const char* pvll_last_error(void);

/** Instruction set the CPU kernels were compiled for, e.g. "x86-64-v3 (AVX2, FMA)". */
PVLL_API const char* pvll_cpu_build_isa(void);

/** Turns the AVX-512 versions of the CPU kernels on (enable != 0, the default where the CPU has
 *  AVX-512 F/BW/VL/DQ) or off (the AVX2 versions run). Returns 1 when AVX-512 is now in use, else
 *  0 (always 0 on a CPU without it). PVLL_NO_AVX512=1 in the environment turns it off at load. */
PVLL_API int pvll_cpu_use_avx512(int enable);

/** Threads used by the CPU kernels (default: hardware concurrency). Results never depend on it. */
PVLL_API int pvll_set_num_threads(int threads);
PVLL_API int pvll_get_num_threads(void);

/** 64-byte aligned host memory for tensors, cached for reuse. pvll_host_free(NULL) is harmless. */
PVLL_API int pvll_host_alloc(int64_t bytes, void** out);
PVLL_API int pvll_host_free(void* ptr);
/** Returns the cached free blocks of pvll_host_free to the system. */
PVLL_API int pvll_host_release_cache(void);

/** Host copies between native memory and Java arrays (count floats). */
PVLL_API int pvll_host_copy(const float* src, float* dst, int64_t count);
PVLL_API int pvll_host_fill(float* dst, float value, int64_t count);
/** The same for doubles (the statistics buffers of synchronised batch norm and the collectives). */
PVLL_API int pvll_host_copy_doubles(const double* src, double* dst, int64_t count);

#endif
