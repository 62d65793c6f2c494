// Races between streams, found at enqueue time and so independent of timing: every operation
// gets a vector clock (its stream's order, the events it waits for, the legacy stream's implicit
// ordering, and what the host saw complete), and every allocation keeps its recent accesses.
// An operation that touches memory another stream touched, one of the two writing, without the
// earlier access happening before it (an event wait, a synchronisation) is refused with
// cudaErrorIllegalState naming both. The same check runs inside a graph at instantiation, between
// nodes that no path orders (graphs.cpp). Accesses: a copy's exact range; a kernel's pointer
// arguments, writes through pointers to non-const, reads through pointers to const and through
// pointers inside structures, extent unknown (so two accesses conflict when they start at the
// same address or one copy's range holds the other's start). Stream slots are reused after a
// stream ends, so a race with a destroyed stream may go unseen: never a false report.
// PVLL_CUDA_EMULATED_RACES=off turns the check off. Checked by kernels/dev/emu/tests/emu_streams_test.cpp.
#include <cstdlib>

#include "internal.h"

namespace emu {
namespace {
constexpr size_t kRecordsPerAlloc = 64;

bool overlap(uintptr_t s1, size_t l1, uintptr_t s2, size_t l2) {
  if (s1 == s2) return true;
  if (l1 && l2) return s1 < s2 + l2 && s2 < s1 + l1;
  if (l1) return s2 >= s1 && s2 < s1 + l1;
  if (l2) return s1 >= s2 && s1 < s2 + l2;
  return false;
}

bool happened_before(int slot, uint64_t clock, const Clock& vc) {
  return clock <= ((size_t)slot < vc.size() ? vc[(size_t)slot] : 0);
}

std::string what(bool write) { return write ? "writes" : "reads"; }
}  // namespace

bool races_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("PVLL_CUDA_EMULATED_RACES");
    return v == nullptr || std::string(v) != "off";
  }();
  return enabled;
}

bool check_races(const char* api, const std::string& op, int slot, const Clock& vc, uint64_t clock,
                 const std::vector<Access>& accesses) {
  if (!races_enabled()) return true;
  for (const Access& a : accesses)
    for (const Alloc::Record& r : a.alloc->records) {
      if (!(r.write || a.write) || r.slot == slot || !overlap(r.start, r.len, a.start, a.len)) continue;
      if (happened_before(r.slot, r.clock, vc)) continue;
      fail(cudaErrorIllegalState,
           "%s: race: %s %s %s at offset %zu, which %s on another stream %s at offset %zu with no event wait or "
           "synchronisation between them",
           api, op.c_str(), what(a.write).c_str(), describe(a.alloc).c_str(), (size_t)(a.start - a.alloc->base),
           r.op.c_str(), what(r.write).c_str(), (size_t)(r.start - a.alloc->base));
      return false;
    }
  for (const Access& a : accesses) {
    auto& records = a.alloc->records;
    size_t kept = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      const Alloc::Record& r = records[i];
      const bool superseded = (r.slot == slot || happened_before(r.slot, r.clock, vc)) && r.start == a.start &&
                              r.len == a.len && (a.write || !r.write);
      if (!superseded) records[kept++] = r;
    }
    records.resize(kept);
    if (records.size() >= kRecordsPerAlloc) records.erase(records.begin());
    records.push_back({a.start, a.len, a.write, slot, clock, op});
  }
  return true;
}

std::string unordered_conflict(const std::vector<std::string>& names, const std::vector<std::vector<Access>>& accesses,
                               const std::vector<std::vector<uint64_t>>& ancestors) {
  auto before = [&](size_t x, size_t y) { return (ancestors[y][x / 64] >> (x % 64)) & 1; };
  std::map<Alloc*, std::vector<std::pair<size_t, const Access*>>> by_alloc;
  for (size_t n = 0; n < accesses.size(); ++n)
    for (const Access& a : accesses[n]) by_alloc[a.alloc].push_back({n, &a});
  for (auto& entry : by_alloc) {
    auto& list = entry.second;
    for (size_t i = 0; i < list.size(); ++i)
      for (size_t j = i + 1; j < list.size(); ++j) {
        const size_t x = list[i].first, y = list[j].first;
        const Access &a = *list[i].second, &b = *list[j].second;
        if (x == y || !(a.write || b.write) || !overlap(a.start, a.len, b.start, b.len)) continue;
        if (before(x, y) || before(y, x)) continue;
        return format("race inside the graph: %s %s %s at offset %zu and %s %s it at offset %zu, with no path of "
                      "dependencies between the two nodes",
                      names[x].c_str(), what(a.write).c_str(), describe(a.alloc).c_str(),
                      (size_t)(a.start - a.alloc->base), names[y].c_str(), what(b.write).c_str(),
                      (size_t)(b.start - a.alloc->base));
      }
  }
  return "";
}
}  // namespace emu
