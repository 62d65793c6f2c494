// Memory of the emulated CUDA device: cudaMalloc'd blocks kept apart from host memory (their
// own mappings, a registry, copies whose direction must match the pointers), poisoned with 0xFF
// bytes (NaN in float and double) so that a read of memory nothing wrote shows, and framed by
// guard bytes that are checked when the block is freed, after every operation that touched it and
// at every synchronisation; an overrun is a sticky cudaErrorIllegalAddress naming the block and
// the operations that last wrote it. Pinned host memory (cudaHostAlloc) is registered and guarded
// the same way; copies from pageable host memory behave as on a GPU (staged at the call, device
// to pageable host synchronous). The device has 8 GiB unless PVLL_CUDA_EMULATED_MEMORY_MB says
// otherwise; emu_set_memory_limit changes it for tests of out-of-memory paths.
// Checked by kernels/dev/emu/tests/emu_runtime_test.cpp.
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace emu {
namespace {
constexpr size_t kGuard = 256;  // on each side; user pointers are 256-byte aligned as cudaMalloc's
constexpr unsigned char kGuardByte = 0xA5, kPoisonByte = 0xFF;

struct Memory {
  std::map<uintptr_t, Alloc*> blocks;  // by base
  size_t limit = 0, used = 0;
  unsigned long long serial = 0;
};

Memory& memory() {
  static Memory* m = [] {
    auto* m = new Memory();
    m->limit = (size_t)8 << 30;
    if (const char* mb = std::getenv("PVLL_CUDA_EMULATED_MEMORY_MB")) m->limit = (size_t)std::atoll(mb) << 20;
    return m;
  }();
  return *m;
}

/** A new guarded, poisoned block, or null (out of host memory). Caller holds the lock. */
Alloc* map_block(size_t size, bool pinned) {
  const size_t mapped = (kGuard + size + kGuard + 4095) & ~(size_t)4095;
  void* map = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  auto* a = new Alloc();
  a->map = map;
  a->mapped = mapped;
  a->base = (uintptr_t)map + kGuard;
  a->size = size;
  a->pinned = pinned;
  a->serial = ++memory().serial;
  std::memset(map, kGuardByte, kGuard);
  std::memset((void*)a->base, kPoisonByte, size);
  std::memset((void*)(a->base + size), kGuardByte, mapped - kGuard - size);
  memory().blocks[a->base] = a;
  return a;
}

void unmap_block(Alloc* a) {
  memory().blocks.erase(a->base);
  munmap(a->map, a->mapped);
  delete a;
}

enum class Where { Device, Pinned, Pageable };

Where where(const void* p) {
  Alloc* a = find_alloc(p, false);
  return a == nullptr ? Where::Pageable : (a->pinned ? Where::Pinned : Where::Device);
}

const char* where_name(Where w) {
  return w == Where::Device ? "device memory" : (w == Where::Pinned ? "pinned host memory" : "pageable host memory");
}

/** A copy (or fill) between device, pinned and host memory, run on a stream or replayed by a graph. */
class CopyWork final : public Work {
 public:
  CopyWork(void* dst, const void* src, size_t bytes, int fill, std::vector<unsigned char> staged)
      : dst_(dst), src_(src), bytes_(bytes), fill_(fill), staged_(std::move(staged)) {}
  void run() override {
    if (fill_ >= 0) std::memset(dst_, fill_, bytes_);
    else std::memcpy(dst_, staged_.empty() ? src_ : staged_.data(), bytes_);
    std::lock_guard<std::mutex> hold(lock());
    if (Alloc* a = find_alloc(dst_, false)) check_guards(a, true);
  }
  std::string name() const override {
    return fill_ >= 0 ? format("memset of %zu bytes", bytes_) : format("memcpy of %zu bytes", bytes_);
  }
  void accesses(std::vector<Access>* out) const override {
    if (Alloc* a = find_alloc(dst_, false)) out->push_back({a, (uintptr_t)dst_, bytes_, true});
    if (fill_ < 0 && staged_.empty())
      if (Alloc* a = find_alloc(src_, false)) out->push_back({a, (uintptr_t)src_, bytes_, false});
  }

 private:
  void* dst_;
  const void* src_;
  size_t bytes_;
  int fill_;  // >= 0: a memset to this byte
  std::vector<unsigned char> staged_;
};

/** Checks that [p, p + bytes) lies inside one allocation when p is device or pinned memory. */
cudaError_t check_range(const char* api, const void* p, size_t bytes, const char* role) {
  Alloc* a = find_alloc(p, false);
  if (a == nullptr || bytes == 0) return cudaSuccess;
  if ((uintptr_t)p + bytes > a->base + a->size)
    return fail(cudaErrorInvalidValue, "%s: %s range of %zu bytes at %p runs %zu bytes past the end of %s", api, role,
                bytes, p, (size_t)((uintptr_t)p + bytes - a->base - a->size), describe(a).c_str());
  return cudaSuccess;
}

/** Validates a copy's pointers against its kind. */
cudaError_t check_copy(const char* api, void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (count > 0 && (dst == nullptr || src == nullptr)) return fail(cudaErrorInvalidValue, "%s: NULL pointer", api);
  const Where d = where(dst), s = where(src);
  const bool d_dev = d == Where::Device, s_dev = s == Where::Device;
  bool ok = true;
  switch (kind) {
    case cudaMemcpyHostToDevice: ok = d_dev && !s_dev; break;
    case cudaMemcpyDeviceToHost: ok = !d_dev && s_dev; break;
    case cudaMemcpyDeviceToDevice: ok = d_dev && s_dev; break;
    case cudaMemcpyHostToHost: ok = !d_dev && !s_dev; break;
    case cudaMemcpyDefault: ok = true; break;
    default: return fail(cudaErrorInvalidMemcpyDirection, "%s: copy kind %d", api, (int)kind);
  }
  if (!ok)
    return fail(cudaErrorInvalidValue, "%s: kind %d copies from %s %p to %s %p, which does not match its direction",
                api, (int)kind, where_name(s), src, where_name(d), dst);
  if (cudaError_t e = check_range(api, dst, count, "destination")) return e;
  return check_range(api, src, count, "source");
}
}  // namespace

Alloc* find_alloc(const void* p, bool allow_end) {
  auto& blocks = memory().blocks;
  const uintptr_t x = (uintptr_t)p;
  auto it = blocks.upper_bound(x);
  if (it == blocks.begin()) return nullptr;
  --it;
  Alloc* a = it->second;
  if (x < a->base + a->size || (allow_end && x == a->base + a->size)) return a;
  return nullptr;
}

std::string describe(const Alloc* a) {
  return format("%s block #%llu (%zu bytes at %p)", a->pinned ? "pinned host" : "device", a->serial, a->size,
                (void*)a->base);
}

bool check_guards(Alloc* a, bool quick) {
  static const std::vector<unsigned char> pattern(kGuard, kGuardByte);
  const unsigned char* front = static_cast<const unsigned char*>(a->map);
  const unsigned char* back = reinterpret_cast<const unsigned char*>(a->base + a->size);
  const size_t back_len = a->mapped - kGuard - a->size;
  // the guard bytes next to the block first (an overrun starts there), word by word
  if (std::memcmp(front, pattern.data(), kGuard) == 0 && std::memcmp(back, pattern.data(), kGuard) == 0) {
    size_t i = kGuard;
    if (quick) return true;
    while (i < back_len && back[i] == kGuardByte) ++i;
    if (i == back_len) return true;
  }
  size_t after = back_len, before = kGuard;
  for (size_t i = back_len; i-- > 0;)
    if (back[i] != kGuardByte) after = i;
  for (size_t i = 0; i < kGuard; ++i)
    if (front[i] != kGuardByte) {
      before = i;
      break;
    }
  if (after == back_len && before == kGuard) return true;
  std::string where;
  if (after != back_len) where = format("byte %zu after its end was overwritten", after);
  if (before != kGuard) where += format("%sbyte %zu before its start was overwritten", where.empty() ? "" : "; ",
                                        kGuard - before);
  std::string writers = a->writers[0].empty() ? "none recorded" : a->writers[0];
  if (!a->writers[1].empty()) writers += ", before it " + a->writers[1];
  raise_fault(cudaErrorIllegalAddress,
              format("memory overrun of %s: %s; last written by %s", describe(a).c_str(), where.c_str(), writers.c_str()));
  // restore the guards so that the fault is reported once
  std::memset(a->map, kGuardByte, kGuard);
  std::memset((void*)(a->base + a->size), kGuardByte, back_len);
  return false;
}

bool check_all_guards() {
  bool ok = true;
  for (auto& entry : memory().blocks) ok = check_guards(entry.second, true) && ok;
  return ok;
}

/** Waits for every stream of the device, then joins what they did into the host clock. */
void device_wait(std::unique_lock<std::mutex>& hold) {
  const std::vector<CUstream_st*> all = streams();  // waiting drops the lock: streams may come and go
  for (CUstream_st* s : all) {
    wait_for(hold, s, s->enqueued);
    join(host_clock(), s->vc);
  }
}
}  // namespace emu

using namespace emu;

/** Test hook: the emulated device's memory size in bytes (out-of-memory paths). */
extern "C" void emu_set_memory_limit(size_t bytes) {
  std::lock_guard<std::mutex> hold(lock());
  memory().limit = bytes;
}

extern "C" size_t emu_memory_limit(void) {
  std::lock_guard<std::mutex> hold(lock());
  return memory().limit;
}

extern "C" cudaError_t cudaMalloc(void** ptr, size_t size) {
  Api api("cudaMalloc");
  if (cudaError_t e = api.faulted()) return e;
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc: ptr is NULL");
  *ptr = nullptr;
  if (cudaError_t e = capture_hazard("cudaMalloc", Hazard::Unsafe)) return e;
  if (size == 0) return cudaSuccess;
  if (size > memory().limit - memory().used)
    return fail(cudaErrorMemoryAllocation, "cudaMalloc: %zu bytes asked, %zu of %zu bytes free", size,
                memory().limit - memory().used, memory().limit);
  Alloc* a = map_block(size, false);
  if (a == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMalloc: the host has no memory for %zu bytes", size);
  memory().used += size;
  *ptr = (void*)a->base;
  return cudaSuccess;
}

extern "C" cudaError_t cudaFree(void* ptr) {
  Api api("cudaFree");
  if (cudaError_t e = api.faulted()) return e;
  if (ptr == nullptr) return cudaSuccess;
  // cudaFree may synchronise the device: not while a capture is open on it
  if (cudaError_t e = capture_hazard("cudaFree", Hazard::DeviceSync)) return e;
  Alloc* a = find_alloc(ptr, false);
  if (a == nullptr || a->pinned || a->base != (uintptr_t)ptr)
    return fail(cudaErrorInvalidValue, "cudaFree: %p is not the start of a live cudaMalloc block (freed twice?)", ptr);
  device_wait(api.hold());
  check_guards(a);
  memory().used -= a->size;
  unmap_block(a);
  return cudaSuccess;
}

extern "C" cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  Api api("cudaMemGetInfo");
  if (cudaError_t e = api.faulted()) return e;
  if (free == nullptr || total == nullptr) return fail(cudaErrorInvalidValue, "cudaMemGetInfo: NULL argument");
  *total = memory().limit;
  *free = memory().limit - memory().used;
  return cudaSuccess;
}

extern "C" cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int flags) {
  Api api("cudaHostAlloc");
  if (cudaError_t e = api.faulted()) return e;
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaHostAlloc: ptr is NULL");
  *ptr = nullptr;
  if ((flags & ~(unsigned)cudaHostAllocPortable) != 0)
    return fail(cudaErrorNotSupported, "cudaHostAlloc: flags 0x%x are not modelled (only cudaHostAllocPortable)", flags);
  if (cudaError_t e = capture_hazard("cudaHostAlloc", Hazard::Unsafe)) return e;
  Alloc* a = map_block(size, true);
  if (a == nullptr) return fail(cudaErrorMemoryAllocation, "cudaHostAlloc: cannot pin %zu bytes", size);
  *ptr = (void*)a->base;
  return cudaSuccess;
}

extern "C" cudaError_t cudaMallocHost(void** ptr, size_t size) { return cudaHostAlloc(ptr, size, 0); }

extern "C" cudaError_t cudaFreeHost(void* ptr) {
  Api api("cudaFreeHost");
  if (cudaError_t e = api.faulted()) return e;
  if (ptr == nullptr) return cudaSuccess;
  if (cudaError_t e = capture_hazard("cudaFreeHost", Hazard::DeviceSync)) return e;
  Alloc* a = find_alloc(ptr, false);
  if (a == nullptr || !a->pinned || a->base != (uintptr_t)ptr)
    return fail(cudaErrorInvalidValue, "cudaFreeHost: %p is not the start of a live cudaHostAlloc block", ptr);
  device_wait(api.hold());
  check_guards(a);
  unmap_block(a);
  return cudaSuccess;
}

namespace {
/** cudaMemcpy and cudaMemset: an operation on the legacy stream, waited for. */
cudaError_t synchronous(Api& api, std::shared_ptr<Work> work) {
  if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  if (cudaError_t e = capture_hazard(api.name(), Hazard::Unsafe)) return e;
  CUstream_st* s = legacy_stream();
  if (cudaError_t e = enqueue(api.name(), s, std::move(work))) return e;
  wait_for(api.hold(), s, s->enqueued);
  join(host_clock(), s->vc);
  check_all_guards();
  return api.faulted();
}

/** cudaMemcpyAsync and cudaMemsetAsync: captured, or enqueued (pageable memory as a GPU treats it). */
cudaError_t asynchronous(Api& api, cudaStream_t stream, std::shared_ptr<Work> work, bool wait) {
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr) return capture_work(api.name(), s, cudaGraphNodeTypeMemcpy, nullptr, std::move(work));
  if (s->legacy)
    if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  if (cudaError_t e = enqueue(api.name(), s, std::move(work))) return e;
  if (wait) {
    wait_for(api.hold(), s, s->enqueued);
    join(host_clock(), s->vc);
  }
  return cudaSuccess;
}
}  // namespace

extern "C" cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  Api api("cudaMemcpy");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_copy("cudaMemcpy", dst, src, count, kind)) return e;
  if (count == 0) return cudaSuccess;
  return synchronous(api, std::make_shared<CopyWork>(dst, src, count, -1, std::vector<unsigned char>()));
}

extern "C" cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                                       cudaStream_t stream) {
  Api api("cudaMemcpyAsync");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_copy("cudaMemcpyAsync", dst, src, count, kind)) return e;
  if (count == 0) return cudaSuccess;
  std::vector<unsigned char> staged;
  CUstream_st* s = resolve_stream(stream, "cudaMemcpyAsync");
  if (s == nullptr) return stream_error();
  const bool capturing = s->capture != nullptr;
  // pageable memory: a GPU stages a host-to-device copy at the call and finishes a copy to the host
  // before returning; in a graph the copy reads and writes the host memory when it replays
  if (!capturing && where(src) == Where::Pageable && where(dst) == Where::Device)
    staged.assign(static_cast<const unsigned char*>(src), static_cast<const unsigned char*>(src) + count);
  const bool wait = !capturing && where(dst) == Where::Pageable && where(src) != Where::Pageable;
  return asynchronous(api, stream, std::make_shared<CopyWork>(dst, src, count, -1, std::move(staged)), wait);
}

extern "C" cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  Api api("cudaMemset");
  if (cudaError_t e = api.faulted()) return e;
  if (where(ptr) != Where::Device) return fail(cudaErrorInvalidValue, "cudaMemset: %p is not device memory", ptr);
  if (cudaError_t e = check_range("cudaMemset", ptr, count, "destination")) return e;
  if (count == 0) return cudaSuccess;
  return synchronous(api, std::make_shared<CopyWork>(ptr, nullptr, count, value & 0xff, std::vector<unsigned char>()));
}

extern "C" cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  Api api("cudaMemsetAsync");
  if (cudaError_t e = api.faulted()) return e;
  if (where(ptr) != Where::Device) return fail(cudaErrorInvalidValue, "cudaMemsetAsync: %p is not device memory", ptr);
  if (cudaError_t e = check_range("cudaMemsetAsync", ptr, count, "destination")) return e;
  if (count == 0) return cudaSuccess;
  return asynchronous(api, stream, std::make_shared<CopyWork>(ptr, nullptr, count, value & 0xff, std::vector<unsigned char>()),
                      false);
}
