// An opt-in profile of the emulated device (PVLL_CUDA_EMULATED_PROFILE=1): per kernel, the
// launches, blocks, CUDA threads and host seconds spent running them, printed to stderr at exit,
// slowest first. Host time of the emulation, to see which kernels make an emulated test slow: it
// says nothing about a GPU. Off by default (nothing is counted).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "internal.h"

namespace emu {
namespace {
struct Entry {
  unsigned long long launches = 0, blocks = 0, threads = 0;
  double ms = 0;
};

std::map<std::string, Entry>& table() {
  static auto* t = new std::map<std::string, Entry>();
  return *t;
}

void print() {
  std::lock_guard<std::mutex> hold(lock());
  std::vector<std::pair<std::string, Entry>> rows(table().begin(), table().end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  double total = 0;
  for (auto& r : rows) total += r.second.ms;
  std::fprintf(stderr, "pvll emulated CUDA profile: %.1f s in kernels\n%10s %9s %12s %14s  %s\n", total / 1000, "seconds",
               "launches", "blocks", "threads", "kernel");
  for (auto& r : rows)
    std::fprintf(stderr, "%10.2f %9llu %12llu %14llu  %s\n", r.second.ms / 1000, r.second.launches, r.second.blocks,
                 r.second.threads, r.first.c_str());
}
}  // namespace

bool profiling() {
  static const bool on = [] {
    const char* v = std::getenv("PVLL_CUDA_EMULATED_PROFILE");
    const bool enabled = v != nullptr && std::string(v) == "1";
    if (enabled) std::atexit(print);
    return enabled;
  }();
  return on;
}

void profile_kernel(const KernelLaunch& k, double ms) {
  std::lock_guard<std::mutex> hold(lock());
  Entry& e = table()[k.name];
  const unsigned long long blocks = (unsigned long long)k.grid.x * k.grid.y * k.grid.z;
  e.launches += 1;
  e.blocks += blocks;
  e.threads += blocks * k.block.x * k.block.y * k.block.z;
  e.ms += ms;
}
}  // namespace emu
