// Host memory for tensors: 64-byte aligned so AVX-512 loads never split cache lines.
#include <cstdlib>
#include <cstring>

#include "parallel.h"
#include "status.h"

PVLL_API int pvll_host_alloc(int64_t bytes, void** out) {
  PVLL_REQUIRE(out != nullptr, "pvll_host_alloc: out is NULL");
  PVLL_REQUIRE(bytes >= 0, "pvll_host_alloc: negative size %lld", (long long)bytes);
  *out = nullptr;
  const size_t rounded = ((size_t)bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (p == nullptr)
    return pvll::fail(PVLL_ERR_OUT_OF_MEMORY, "pvll_host_alloc: cannot allocate %lld bytes",
                      (long long)bytes);
  *out = p;
  return PVLL_OK;
}

PVLL_API int pvll_host_free(void* ptr) {
  std::free(ptr);
  return PVLL_OK;
}

PVLL_API int pvll_host_copy(const float* src, float* dst, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || (src && dst)), "pvll_host_copy: bad arguments");
  if (count > 0) std::memmove(dst, src, (size_t)count * sizeof(float));
  return PVLL_OK;
}

PVLL_API int pvll_host_fill(float* dst, float value, int64_t count) {
  PVLL_REQUIRE(count >= 0 && (count == 0 || dst), "pvll_host_fill: bad arguments");
  pvll::parallel_for(count, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = value;
  });
  return PVLL_OK;
}
