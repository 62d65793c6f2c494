// Pieces the conv kernels share: splitting images into work items and the deterministic
// reduction over images that every weight gradient uses.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "parallel.h"
#include "avx2.h"

namespace pvll {

/**
 * Sums per-image contributions into total (len doubles, zeroed here). Images are cut into
 * chunks that depend on n and len only; each chunk adds its images in order into its own
 * partial and the partials are added in chunk order, so the sum is the same for any thread
 * count. add_images(begin, end, partial) adds images [begin, end) to partial, in order.
 */
template <typename F>
void reduce_over_images(int n, size_t len, std::vector<double>& total, F&& add_images) {
  const int64_t max_bytes = 64 << 20;
  const int64_t max_chunks = std::clamp<int64_t>(max_bytes / (int64_t)(len * sizeof(double) + 1), 1, 8);
  const int64_t grain = (n + max_chunks - 1) / max_chunks;
  const int64_t chunks = chunk_count(n, grain);
  std::vector<double> partials((size_t)chunks * len, 0.0);
  parallel_chunks(n, grain, [&](int64_t chunk, int64_t begin, int64_t end) {
    add_images((int)begin, (int)end, partials.data() + (size_t)chunk * len);
  });
  total.assign(len, 0.0);
  for (int64_t c = 0; c < chunks; ++c)
    for (size_t i = 0; i < len; ++i) total[i] += partials[(size_t)c * len + i];
}

/** Images whose 8-lane float partials are summed before they go to double (about 2k terms
 *  per lane, so float rounding stays near 1e-6 relative). */
inline int images_per_flush(int pixels) { return std::max(1, 16384 / std::max(1, pixels)); }

/** out[i] = (accumulate ? out[i] : 0) + sum[i], rounded to float once. */
inline void write_sum(float* out, const double* sum, size_t len, bool accumulate) {
  for (size_t i = 0; i < len; ++i) out[i] = (float)((accumulate ? (double)out[i] : 0.0) + sum[i]);
}

/** Sum of n floats (8 lanes, then the lanes in a fixed order). */
inline float row_sum(const float* p, int n) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(p + i));
  if (i < n) acc = _mm256_add_ps(acc, avx2::load(p + i, n - i));
  return avx2::hsum(acc);
}

/** Column blocks (multiples of 24) that give both cores work even for one image. */
struct ColumnBlocks {
  int count, width;
};

inline ColumnBlocks column_blocks(int images, int cols) {
  int count = std::max(1, (cols + 4095) / 4096);
  if (images < 4) count = std::max(count, std::min((4 + images - 1) / images, (cols + 95) / 96));
  int width = (cols + count - 1) / count;
  width = (width + 23) / 24 * 24;
  return ColumnBlocks{(cols + width - 1) / width, width};
}

}  // namespace pvll
