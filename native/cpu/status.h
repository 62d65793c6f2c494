// Internal helpers to report errors through the C API: set the thread-local message, return
// the status. Exceptions never cross the C boundary: PVLL_GUARD turns them into statuses.
#pragma once
#include <cstdarg>
#include <exception>
#include <new>
#include "pvll_common.h"

namespace pvll {

/** Stores printf-style message as this thread's last error and returns status. */
int fail(int status, const char* format, ...) __attribute__((format(printf, 2, 3)));
void clear_error();

}  // namespace pvll

/** Fails with PVLL_ERR_INVALID_ARGUMENT naming the function when cond does not hold. */
#define PVLL_REQUIRE(cond, ...)                                                              \
  do {                                                                                       \
    if (!(cond)) return ::pvll::fail(PVLL_ERR_INVALID_ARGUMENT, __VA_ARGS__);                \
  } while (0)

/** Runs body; C++ exceptions become statuses so nothing unwinds into the JVM. Variadic so
 *  that commas in the body need no parentheses. */
#define PVLL_GUARD(name, ...)                                                                \
  try {                                                                                      \
    __VA_ARGS__                                                                              \
  } catch (const std::bad_alloc&) {                                                          \
    return ::pvll::fail(PVLL_ERR_OUT_OF_MEMORY, "%s: out of host memory", name);             \
  } catch (const std::exception& e) {                                                        \
    return ::pvll::fail(PVLL_ERR_INTERNAL, "%s: %s", name, e.what());                        \
  }
