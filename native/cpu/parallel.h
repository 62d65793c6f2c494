// A small persistent thread pool for the CPU kernels.
//
// Why not OpenMP: libpvll.so then needs no OpenMP runtime on the user's machine, and the way
// work is split is ours to fix. Determinism contract: parallel_for cuts [0, n) into chunks
// whose boundaries depend only on n and grain, never on the thread count; each chunk is run
// by exactly one thread. A kernel whose chunks write disjoint outputs, or that reduces
// per-chunk partials in chunk order, gives bit-identical results for any thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace pvll {

/** Number of chunks parallel_for uses for n items of at least grain each. */
int64_t chunk_count(int64_t n, int64_t grain);

/** Calls body(chunk_index, begin, end) for every chunk of [0, n), spread over the pool. */
void parallel_chunks(int64_t n, int64_t grain,
                     const std::function<void(int64_t, int64_t, int64_t)>& body);

/** parallel_chunks without the chunk index. */
inline void parallel_for(int64_t n, int64_t grain,
                         const std::function<void(int64_t, int64_t)>& body) {
  parallel_chunks(n, grain, [&](int64_t, int64_t b, int64_t e) { body(b, e); });
}

/**
 * Memory traffic (bytes) under which a memory-bound loop runs on the calling thread: waking a
 * sleeping pool worker and waiting for it costs more than a second core saves on a loop of that
 * size (measurements in parallel.cpp).
 */
int64_t inline_bytes();

/** parallel_chunks for a memory-bound loop that moves `bytes`: on the calling thread, chunk by
 *  chunk in order, under inline_bytes(). The chunks are the same either way, so is the result. */
void parallel_chunks_sized(int64_t n, int64_t grain, int64_t bytes,
                           const std::function<void(int64_t, int64_t, int64_t)>& body);

/** parallel_chunks_sized without the chunk index. */
inline void parallel_for_sized(int64_t n, int64_t grain, int64_t bytes,
                               const std::function<void(int64_t, int64_t)>& body) {
  parallel_chunks_sized(n, grain, bytes, [&](int64_t, int64_t b, int64_t e) { body(b, e); });
}

int num_threads();
void set_num_threads(int threads);

}  // namespace pvll
