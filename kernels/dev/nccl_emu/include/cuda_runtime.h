// The layer kernels' host emulation of the CUDA runtime (../../layers_emu/include) plus what
// kernels/nccl.cu also calls: cudaStreamQuery, which reports a stream busy while the fake NCCL
// (fake_nccl.cpp) still holds a collective enqueued on it. See check.sh.
#pragma once
#include "../../layers_emu/include/cuda_runtime.h"

namespace emu {
/** Set by the check to the fake NCCL's "is a collective pending on this stream" (null: never). */
inline int (*stream_busy)(void* stream) = nullptr;
}

inline cudaError_t cudaStreamQuery(cudaStream_t stream) {
  return emu::stream_busy && emu::stream_busy(stream) ? cudaErrorNotReady : cudaSuccess;
}
