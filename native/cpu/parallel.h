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

int num_threads();
void set_num_threads(int threads);

}  // namespace pvll
