// The emulated device itself: one device, cuda:0, with the launch rules of compute capability 9.0
// (H100: 132 multiprocessors, 48 KB of shared memory per block, 227 KB with opt-in, 1,024 threads
// per block) and 8 GiB of memory unless PVLL_CUDA_EMULATED_MEMORY_MB says otherwise; runtime and
// driver report CUDA 13.0. cudaSetDevice refuses any other device.
// Checked by kernels/dev/emu/tests/emu_runtime_test.cpp.
#include <cstdio>

#include "internal.h"

extern "C" size_t emu_memory_limit(void);

namespace {
thread_local int current_device = 0;
}

using namespace emu;

extern "C" cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: count is NULL");
  *count = 1;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDevice: device is NULL");
  *device = current_device;
  return cudaSuccess;
}

extern "C" cudaError_t cudaSetDevice(int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice, "cudaSetDevice: the emulated runtime has one device, cuda:0, not %d", device);
  current_device = device;
  std::lock_guard<std::mutex> hold(lock());
  return fail_sticky("cudaSetDevice");
}

extern "C" cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: prop is NULL");
  if (device != 0) return fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties: no device %d", device);
  *prop = cudaDeviceProp();
  std::snprintf(prop->name, sizeof prop->name, "pvll emulated CUDA device (compute 9.0 rules, host threads)");
  prop->totalGlobalMem = emu_memory_limit();
  prop->sharedMemPerBlock = 48 * 1024;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = 1024;
  prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = 65535;
  prop->maxGridSize[2] = 65535;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 132;
  prop->l2CacheSize = 50 * 1024 * 1024;
  return cudaSuccess;
}

extern "C" cudaError_t cudaRuntimeGetVersion(int* version) {
  if (version == nullptr) return fail(cudaErrorInvalidValue, "cudaRuntimeGetVersion: version is NULL");
  *version = 13000;
  return cudaSuccess;
}

extern "C" cudaError_t cudaDriverGetVersion(int* version) {
  if (version == nullptr) return fail(cudaErrorInvalidValue, "cudaDriverGetVersion: version is NULL");
  *version = 13000;
  return cudaSuccess;
}
