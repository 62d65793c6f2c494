/*
 * pvll_cuda_nccl.h - collectives between CUDA ranks through NCCL 2 (libpvll_cuda.so,
 * kernels/nccl.cu). NCCL is not linked: libnccl.so.2 is loaded at run time on first use, as the
 * CUDA driver is, so the library loads without it and these calls then fail with
 * PVLL_ERR_UNAVAILABLE and the loader's reason.
 *
 * Conventions of pvll_cuda.h: int status, message in pvll_cuda_last_error(), never exits, a
 * stream argument (NULL = the calling thread's current stream, as every op) on which the
 * collective is only enqueued, so a captured CUDA graph may hold it. A communicator is an opaque
 * handle for one rank on one device; ranks exchange the 128-byte unique id themselves (pvll does
 * it over MPI). NCCL's non-blocking mode is used so that no call waits without a deadline: init
 * gives up after timeout_seconds (<= 0: PVLL_COLL_DEFAULT_TIMEOUT_SECONDS) and aborts the
 * half-made communicator. A collective's GPU work cannot time out by itself (a dead peer leaves
 * it spinning): pvll_cuda_nccl_wait waits for a stream with a deadline, watching NCCL's
 * asynchronous errors, and aborts the communicator on timeout, which ends that GPU work.
 * After an abort or a failure every call on the communicator fails at once with the first
 * message. Sums are NCCL's (deterministic for a fixed topology and rank count).
 *
 * Compiled here (no nccl.h exists on the build machine: kernels/nccl.cu declares NCCL 2's types
 * itself); runs only where libnccl.so.2 and a GPU exist (benchmarks/device/).
 */
#ifndef PVLL_CUDA_NCCL_H
#define PVLL_CUDA_NCCL_H

#include "pvll_common.h"

/** Bytes of an NCCL unique id (NCCL_UNIQUE_ID_BYTES). */
#define PVLL_NCCL_ID_BYTES 128

#define PVLL_CUDA_NCCL_FUNCTIONS(X)                                                                               \
  /* NCCL's version code (e.g. 22903 for 2.29.3); loads libnccl.so.2 */                                          \
  X(pvll_cuda_nccl_version, (int* version))                                                                       \
  /* a new unique id (rank 0 makes it, every rank passes the same bytes to init) */                               \
  X(pvll_cuda_nccl_unique_id, (char* id))                                                                         \
  /* this process's member of a communicator of nranks on CUDA device `device` */                                 \
  X(pvll_cuda_nccl_init, (int device, int nranks, int rank, const char* id, double timeout_seconds, void** comm))  \
  /* buffer[i] = sum over ranks, in place; is_double: 0 float32, 1 float64 */                                     \
  X(pvll_cuda_nccl_all_reduce_sum, (void* comm, void* buffer, int64_t count, int is_double, void* stream))         \
  /* every rank's buffer[0..bytes) = root's, in place */                                                          \
  X(pvll_cuda_nccl_broadcast, (void* comm, void* buffer, int64_t bytes, int root, void* stream))                   \
  /* waits until stream's work is done, within the timeout; aborts the communicator on timeout or error */         \
  X(pvll_cuda_nccl_wait, (void* comm, void* stream, double timeout_seconds))                                       \
  /* ends the communicator's pending GPU work and frees NCCL's side (ncclCommAbort); destroy frees the handle */   \
  X(pvll_cuda_nccl_abort, (void* comm))                                                                            \
  /* frees the communicator (after abort, or when healthy, after its work); NULL is harmless */                   \
  X(pvll_cuda_nccl_destroy, (void* comm))

#define PVLL_CUDA_NCCL_DECLARE(name, params) PVLL_API int name params;
PVLL_CUDA_NCCL_FUNCTIONS(PVLL_CUDA_NCCL_DECLARE)
#undef PVLL_CUDA_NCCL_DECLARE

#endif
