// Per-thread scratch memory for the kernels: 64-byte aligned, grown on demand, kept for the
// life of the thread, so a kernel call allocates nothing after the first. Contents undefined.
#pragma once
#include <cstddef>

namespace pvll {

/** A buffer of at least floats elements owned by this thread; slot keeps up to 4 apart. */
float* scratch(int slot, size_t floats);

}  // namespace pvll
