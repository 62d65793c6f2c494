#include "scratch.h"

#include <cstdlib>
#include <new>

namespace pvll {
namespace {

struct Buffers {
  float* data[4] = {nullptr, nullptr, nullptr, nullptr};
  size_t capacity[4] = {0, 0, 0, 0};
  ~Buffers() {
    for (float* p : data) std::free(p);
  }
};

thread_local Buffers buffers;

}  // namespace

float* scratch(int slot, size_t floats) {
  if (floats > buffers.capacity[slot]) {
    std::free(buffers.data[slot]);
    buffers.data[slot] = nullptr;
    buffers.capacity[slot] = 0;
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64 + 64;  // + slack for over-reads
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    buffers.data[slot] = static_cast<float*>(p);
    buffers.capacity[slot] = floats;
  }
  return buffers.data[slot];
}

}  // namespace pvll
