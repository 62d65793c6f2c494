// The per-thread current stream and the memory pools of captured CUDA graphs (runtime.cu),
// used by graph.cu. While a pool is attached to a thread, every pvll_cuda_malloc of that thread
// on the pool's device (tensors and layer scratch alike) is served from and recorded in the pool,
// and scratch blocks skip their completion events, which cannot be captured.
#pragma once
#include <cuda_runtime.h>

namespace pvll_cuda {
struct CapturePool;

/** This thread's current stream (what stream_of(NULL) returns). */
cudaStream_t thread_stream_get();
void thread_stream_set(cudaStream_t stream);
/** Inside a switch body: the stream of the switch (the lane its memory belongs to); NULL outside. */
void capture_body_lane_set(cudaStream_t lane);

/** A new pool, attached to this thread for allocations on device. */
CapturePool* capture_pool_attach(int device);
/** Ends routing into the pool; its blocks stay owned by it (the graph's memory). */
void capture_pool_detach(CapturePool* pool);
/** Bytes the pool owns. */
long long capture_pool_bytes(const CapturePool* pool);
/**
 * Returns the pool's freed blocks to the device cache and deletes it; only once no graph uses
 * them. Blocks that live tensors still hold stay in use and are freed normally later.
 */
void capture_pool_release(CapturePool* pool);
/** Whether this thread has a capture open (a pool attached). */
bool capture_open();
}  // namespace pvll_cuda
