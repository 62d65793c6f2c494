#include "cpu_features.h"

#include <atomic>
#include <cstdlib>

#include "pvll_common.h"

namespace pvll {
namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

bool env_allows_avx512() {
  const char* v = std::getenv("PVLL_NO_AVX512");
  return !(v && *v && *v != '0');
}

std::atomic<bool>& avx512_on() {
  static std::atomic<bool> on{cpu_has_avx512() && env_allows_avx512()};
  return on;
}

}  // namespace

bool use_avx512() { return avx512_on().load(std::memory_order_relaxed); }

}  // namespace pvll

PVLL_API int pvll_cpu_use_avx512(int enable) {
  pvll::avx512_on().store(enable != 0 && pvll::cpu_has_avx512(), std::memory_order_relaxed);
  return pvll::use_avx512() ? 1 : 0;
}
