// Errors of the emulated CUDA runtime: the real codes, names and strings; the per-thread last
// error (cudaGetLastError returns and clears it, as the real one does); the device's sticky
// fault (an error found while work ran: every later call returns it, as after a kernel fault on a
// GPU); and the emulator's detail message, which cudaGetErrorString appends to the real string
// for the last error of the calling thread so that the project's messages name the cause.
// Checked by kernels/dev/emu/tests/emu_runtime_test.cpp.
#include <cstdio>
#include <string>

#include "internal.h"

namespace emu {
namespace {
struct ErrorText {
  cudaError_t code;
  const char* name;
  const char* text;
};
constexpr ErrorText kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration", "invalid configuration argument"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"},
    {cudaErrorInsufficientDriver, "cudaErrorInsufficientDriver",
     "CUDA driver version is insufficient for CUDA runtime version"},
    {cudaErrorInvalidDeviceFunction, "cudaErrorInvalidDeviceFunction", "invalid device function"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorIllegalState, "cudaErrorIllegalState", "the operation cannot be performed in the present state"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress", "an illegal memory access was encountered"},
    {cudaErrorLaunchOutOfResources, "cudaErrorLaunchOutOfResources", "too many resources requested for launch"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorStreamCaptureUnsupported, "cudaErrorStreamCaptureUnsupported",
     "operation not permitted when stream is capturing"},
    {cudaErrorStreamCaptureInvalidated, "cudaErrorStreamCaptureInvalidated",
     "operation failed due to a previous error during capture"},
    {cudaErrorStreamCaptureMerge, "cudaErrorStreamCaptureMerge",
     "operation would result in a merge of separate capture sequences"},
    {cudaErrorStreamCaptureUnmatched, "cudaErrorStreamCaptureUnmatched",
     "capture was not ended in the same stream as it began"},
    {cudaErrorStreamCaptureUnjoined, "cudaErrorStreamCaptureUnjoined", "capturing stream has unjoined work"},
    {cudaErrorStreamCaptureIsolation, "cudaErrorStreamCaptureIsolation",
     "dependency created on uncaptured work in another stream"},
    {cudaErrorStreamCaptureImplicit, "cudaErrorStreamCaptureImplicit",
     "operation would make the legacy stream depend on a capturing blocking stream"},
    {cudaErrorCapturedEvent, "cudaErrorCapturedEvent",
     "operation not permitted on an event last recorded in a capturing stream"},
    {cudaErrorStreamCaptureWrongThread, "cudaErrorStreamCaptureWrongThread",
     "attempt to terminate a thread-local capture sequence from another thread"},
    {cudaErrorUnknown, "cudaErrorUnknown", "unknown error"},
};

const ErrorText* lookup(cudaError_t code) {
  for (const ErrorText& e : kErrors)
    if (e.code == code) return &e;
  return nullptr;
}

thread_local cudaError_t last_error = cudaSuccess;
thread_local cudaError_t detail_code = cudaSuccess;
thread_local std::string detail;
thread_local std::string error_string;

struct Fault {
  cudaError_t code = cudaSuccess;
  std::string message;
};
Fault& fault() {
  static Fault* f = new Fault();
  return *f;
}
}  // namespace

std::mutex& lock() {
  static std::mutex* m = new std::mutex();
  return *m;
}

std::condition_variable& changed() {
  static std::condition_variable* cv = new std::condition_variable();
  return *cv;
}

std::string vformat(const char* fmt, va_list args) {
  char buffer[2048];
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  return buffer;
}

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string s = vformat(fmt, args);
  va_end(args);
  return s;
}

void warn(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const std::string s = vformat(fmt, args);
  va_end(args);
  std::fprintf(stderr, "pvll emulated CUDA: %s\n", s.c_str());
  std::fflush(stderr);
}

cudaError_t fail(cudaError_t error, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  detail = vformat(fmt, args);
  va_end(args);
  detail_code = error;
  last_error = error;
  return error;
}

cudaError_t sticky() { return fault().code; }

void raise_fault(cudaError_t error, const std::string& message) {
  if (fault().code != cudaSuccess) return;
  fault().code = error;
  fault().message = message;
  warn("device fault (%s, sticky: every later call returns it): %s", lookup(error)->name, message.c_str());
}

cudaError_t fail_sticky(const char* api) {
  if (fault().code == cudaSuccess) return cudaSuccess;
  return fail(fault().code, "%s: the device faulted earlier: %s", api, fault().message.c_str());
}

cudaError_t Api::faulted() { return fail_sticky(name_); }
}  // namespace emu

using emu::lookup;

extern "C" cudaError_t cudaGetLastError(void) {
  std::lock_guard<std::mutex> hold(emu::lock());
  cudaError_t e = emu::last_error;
  emu::last_error = cudaSuccess;
  if (e == cudaSuccess) return emu::fail_sticky("cudaGetLastError");
  return e;
}

extern "C" cudaError_t cudaPeekAtLastError(void) {
  std::lock_guard<std::mutex> hold(emu::lock());
  return emu::last_error != cudaSuccess ? emu::last_error : emu::sticky();
}

extern "C" const char* cudaGetErrorName(cudaError_t error) {
  const auto* e = lookup(error);
  return e ? e->name : "cudaErrorUnknown";
}

extern "C" const char* cudaGetErrorString(cudaError_t error) {
  const auto* e = lookup(error);
  emu::error_string = e ? e->text : "unrecognized error code";
  if (error != cudaSuccess && error == emu::detail_code && !emu::detail.empty())
    emu::error_string += " [emulated CUDA: " + emu::detail + "]";
  return emu::error_string.c_str();
}
