// Kernel launches on the emulated device (emu_launch.h): the launch limits of the real runtime
// (cudaErrorInvalidConfiguration for a block over 1,024 threads or over 1,024 x 1,024 x 64, a
// grid.x over 2^31 - 1 or grid.y / grid.z over 65,535, an empty dimension; cudaErrorInvalidValue
// for dynamic shared memory over 48 KB, or over what cudaFuncSetAttribute allowed), reported
// through cudaGetLastError as a real launch does; every pointer argument must be device or
// pinned memory (a host pointer would fault on a GPU). A launch on a capturing stream becomes a
// kernel node; else it is enqueued and runs on the stream's worker. Also the registry of
// __global__ functions named by address (graph kernel nodes, cudaFuncSetAttribute).
// Checked by kernels/dev/emu/tests/emu_kernel_test.cpp.
#include <cstring>

#include "internal.h"

namespace emu {
namespace {
constexpr size_t kStaticLimit = 48 * 1024;
constexpr size_t kOptinLimit = 227 * 1024;

struct KernelInfo {
  std::string name;
  KernelFactory factory = nullptr;
  size_t max_dynamic = kStaticLimit;
};

std::map<const void*, KernelInfo>& registry() {
  static auto* r = new std::map<const void*, KernelInfo>();
  return *r;
}

class KernelWork final : public Work {
 public:
  explicit KernelWork(std::shared_ptr<KernelLaunch> k) : k_(std::move(k)) {}
  void run() override { run_grid(*k_); }
  std::string name() const override { return "kernel " + k_->name; }
  void accesses(std::vector<Access>* out) const override { k_->accesses(out); }

 private:
  std::shared_ptr<KernelLaunch> k_;
};
}  // namespace

void register_kernel(const void* function, const char* name, KernelFactory factory) {
  std::lock_guard<std::mutex> hold(lock());
  KernelInfo& info = registry()[function];
  info.name = name;
  info.factory = factory;
}

std::string kernel_name(const void* function) {
  auto it = registry().find(function);
  return it == registry().end() || it->second.name.empty() ? "kernel" : it->second.name;
}

KernelFactory kernel_factory(const void* function) {
  auto it = registry().find(function);
  return it == registry().end() ? nullptr : it->second.factory;
}

size_t max_dynamic_shared(const void* function) {
  auto it = registry().find(function);
  return it == registry().end() ? kStaticLimit : it->second.max_dynamic;
}

void KernelLaunch::accesses(std::vector<Access>* out) const {
  for (const PointerArg& p : pointers)
    if (Alloc* a = find_alloc(p.ptr, false)) out->push_back({a, (uintptr_t)p.ptr, 0, p.write && p.direct});
}

cudaError_t prepare_launch(KernelLaunch* k) {
  const dim3 g = k->grid, b = k->block;
  const unsigned long long threads = (unsigned long long)b.x * b.y * b.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || b.x == 0 || b.y == 0 || b.z == 0 || threads > 1024 || b.x > 1024 ||
      b.y > 1024 || b.z > 64 || g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    return fail(cudaErrorInvalidConfiguration,
                "kernel %s: grid (%u, %u, %u) of blocks (%u, %u, %u): a block has at most 1024 threads (64 in z), "
                "a grid at most 2^31-1 x 65535 x 65535 blocks, and no dimension is 0",
                k->name.c_str(), g.x, g.y, g.z, b.x, b.y, b.z);
  const size_t allowed = max_dynamic_shared(k->call->function());
  k->shared_limit = allowed;
  if (k->shared > allowed)
    return fail(cudaErrorInvalidValue,
                "kernel %s: %zu bytes of dynamic shared memory; %zu allowed (more than 48 KB needs "
                "cudaFuncSetAttribute(cudaFuncAttributeMaxDynamicSharedMemorySize))",
                k->name.c_str(), k->shared, allowed);
  std::vector<PointerArg> all;
  k->call->pointers(&all);
  k->pointers.clear();
  for (const PointerArg& p : all) {
    if (p.ptr == nullptr) continue;  // an optional argument; a kernel reading it would fault, as on a GPU
    const bool inside = find_alloc(p.ptr, true) != nullptr;
    if (p.direct && !inside)
      return fail(cudaErrorInvalidValue,
                  "kernel %s: argument %d is %p, which is neither device nor pinned memory (a GPU would fault "
                  "reading it)",
                  k->name.c_str(), p.index, p.ptr);
    if (inside) k->pointers.push_back(p);
  }
  return cudaSuccess;
}

void Launch::submit(std::shared_ptr<const KernelCall> call) const {
  Api api("kernel launch");
  if (api.faulted()) return;
  auto k = std::make_shared<KernelLaunch>();
  k->call = std::move(call);
  k->grid = grid_;
  k->block = block_;
  k->shared = shared_;
  const char* base = std::strrchr(file_, '/');
  const std::string registered = kernel_name(k->call->function());  // a launch inside a macro names its parameter
  k->name = format("%s (%s:%d)", registered != "kernel" ? registered.c_str() : name_, base ? base + 1 : file_, line_);
  CUstream_st* s = resolve_stream(stream_, "kernel launch");
  if (s == nullptr) return;
  if (prepare_launch(k.get()) != cudaSuccess) return;
  if (s->capture != nullptr) {
    capture_work("kernel launch", s, cudaGraphNodeTypeKernel, std::move(k), nullptr);
    return;
  }
  if (s->legacy && capture_hazard("kernel launch", Hazard::LegacyStream) != cudaSuccess) return;
  enqueue("kernel launch", s, std::make_shared<KernelWork>(std::move(k)));
}
}  // namespace emu

using namespace emu;

extern "C" cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
  Api api("cudaFuncSetAttribute");
  if (cudaError_t e = api.faulted()) return e;
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize)
    return fail(cudaErrorNotSupported, "cudaFuncSetAttribute: attribute %d is not modelled", (int)attr);
  if (func == nullptr) return fail(cudaErrorInvalidDeviceFunction, "cudaFuncSetAttribute: NULL function");
  if (value < 0 || (size_t)value > kOptinLimit)
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: %d bytes of dynamic shared memory; at most %zu", value,
                kOptinLimit);
  registry()[func].max_dynamic = (size_t)value;
  return cudaSuccess;
}
