// Host memory for tensors: 64-byte aligned (AVX-512 loads never split cache lines) and cached.
// Why a cache: a training step allocates and frees the same few hundred activation buffers
// every step; glibc would hand large ones back to the kernel (munmap) and page-fault them in
// again next step. Freed blocks go to size-bucketed free lists and are reused.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "parallel.h"
#include "status.h"

namespace {
constexpr size_t kMaxCachedBytes = size_t(4) << 30;

struct HostCache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;
  std::unordered_map<void*, size_t> sizes;  // every live or cached block
  size_t cached_free = 0;
};

HostCache& cache() {
  static HostCache* instance = new HostCache();  // never destroyed: frees may come at JVM exit
  return *instance;
}

size_t bucket(size_t bytes) {
  if (bytes <= 64) return 64;
  size_t b = 64;
  while (b < bytes && b < (size_t(1) << 20)) b <<= 1;
  if (b >= bytes) return b;
  const size_t step = size_t(1) << 18;  // above 1 MiB: multiples of 256 KiB
  return (bytes + step - 1) / step * step;
}
}  // namespace

PVLL_API int pvll_host_alloc(int64_t bytes, void** out) {
  PVLL_REQUIRE(out != nullptr, "pvll_host_alloc: out is NULL");
  PVLL_REQUIRE(bytes >= 0, "pvll_host_alloc: negative size %lld", (long long)bytes);
  *out = nullptr;
  const size_t size = bucket((size_t)bytes);
  HostCache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto hit = c.free_blocks.find(size);
    if (hit != c.free_blocks.end()) {
      *out = hit->second;
      c.cached_free -= size;
      c.free_blocks.erase(hit);
      return PVLL_OK;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    pvll_host_release_cache();
    p = std::aligned_alloc(64, size);
  }
  if (p == nullptr)
    return pvll::fail(PVLL_ERR_OUT_OF_MEMORY, "pvll_host_alloc: cannot allocate %lld bytes of host memory",
                      (long long)bytes);
  std::lock_guard<std::mutex> lock(c.mutex);
  c.sizes[p] = size;
  *out = p;
  return PVLL_OK;
}

PVLL_API int pvll_host_free(void* ptr) {
  if (ptr == nullptr) return PVLL_OK;
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.sizes.find(ptr);
  PVLL_REQUIRE(it != c.sizes.end(), "pvll_host_free: %p was not allocated by pvll_host_alloc", ptr);
  if (c.cached_free + it->second > kMaxCachedBytes) {
    c.sizes.erase(it);
    std::free(ptr);
    return PVLL_OK;
  }
  c.cached_free += it->second;
  c.free_blocks.emplace(it->second, ptr);
  return PVLL_OK;
}

PVLL_API int pvll_host_release_cache(void) {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& block : c.free_blocks) {
    c.sizes.erase(block.second);
    std::free(block.second);
  }
  c.free_blocks.clear();
  c.cached_free = 0;
  return PVLL_OK;
}

PVLL_API int pvll_host_copy(const float* src, float* dst, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || (src && dst)), "pvll_host_copy: bad arguments");
  if (count > 0) std::memmove(dst, src, (size_t)count * sizeof(float));
  return PVLL_OK;
}

PVLL_API int pvll_host_copy_doubles(const double* src, double* dst, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || (src && dst)), "pvll_host_copy_doubles: bad arguments");
  if (count > 0) std::memmove(dst, src, (size_t)count * sizeof(double));
  return PVLL_OK;
}

PVLL_API int pvll_host_fill(float* dst, float value, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || dst), "pvll_host_fill: bad arguments");
  pvll::parallel_for(count, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = value;
  });
  return PVLL_OK;
}
