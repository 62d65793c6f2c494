// Per-thread scratch buffers for the kernels: grown on demand, never shrunk, never shared.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pvll {

/** Number of independent scratch slots per thread. */
constexpr int kScratchSlots = 6;

/**
 * A buffer of at least bytes bytes (64-byte aligned) owned by the calling thread; slot picks
 * one of kScratchSlots independent buffers. Contents are unspecified. Valid until the same
 * thread asks for the same slot again. Throws std::bad_alloc when memory runs out.
 */
void* thread_scratch(int slot, size_t bytes);

template <class T>
inline T* thread_scratch(int slot, int64_t count) {
  return static_cast<T*>(thread_scratch(slot, size_t(count) * sizeof(T)));
}

/** thread_scratch as floats: at least floats elements. */
inline float* scratch(int slot, size_t floats) { return thread_scratch<float>(slot, int64_t(floats)); }

}  // namespace pvll
