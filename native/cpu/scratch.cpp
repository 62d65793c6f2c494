#include "scratch.h"

#include <cstdlib>
#include <new>

namespace pvll {
namespace {

struct Buffers {
  void* data[kScratchSlots] = {};
  size_t size[kScratchSlots] = {};
  ~Buffers() {
    for (void* p : data) std::free(p);
  }
};

thread_local Buffers buffers;

}  // namespace

void* thread_scratch(int slot, size_t bytes) {
  if (bytes > buffers.size[slot]) {
    size_t rounded = (bytes + bytes / 4 + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (p == nullptr) throw std::bad_alloc();
    std::free(buffers.data[slot]);
    buffers.data[slot] = p;
    buffers.size[slot] = rounded;
  }
  return buffers.data[slot];
}

}  // namespace pvll
