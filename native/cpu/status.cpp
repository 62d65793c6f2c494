#include "status.h"

#include <cstdio>

namespace {
thread_local char last_error[1024] = "";
}

namespace pvll {

int fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

void clear_error() { last_error[0] = '\0'; }

}  // namespace pvll

PVLL_API const char* pvll_last_error(void) { return last_error; }

PVLL_API const char* pvll_cpu_build_isa(void) {
#if defined(__AVX512F__)
  return PVLL_MARCH_NAME " (AVX-512, AVX2, FMA)";
#elif defined(__AVX2__) && defined(__FMA__)
  return PVLL_MARCH_NAME " (AVX2, FMA)";
#elif defined(__AVX__)
  return PVLL_MARCH_NAME " (AVX)";
#else
  return PVLL_MARCH_NAME " (SSE2)";
#endif
}
