// Runs blocks of a kernel launch on the emulated device (the launch itself: grid.cpp): the CUDA
// threads of a block as fibers (fiber.h) scheduled round-robin in thread order, each running until
// it waits or ends. __syncthreads releases the block when every thread
// that has not exited is waiting at it. A warp intrinsic completes when every lane its mask names
// has reached the same intrinsic with the same mask; a lane outside the block, a lane that calls
// with a mask that does not name it, a different intrinsic or mask among the lanes, or a wait
// nothing can end (a lane that exited, threads at different barriers) is a kernel fault: sticky,
// like a fault on a GPU, naming the kernel, block, threads and intrinsic. Shared memory: one
// arena per block, poisoned with 0xFF before each block, static variables placed as first
// reached, the dynamic part first; its limits are the device's (48 KB, more only up to what
// cudaFuncSetAttribute allowed). Deterministic: same block, same interleaving of its threads.
// Checked by kernels/dev/emu/tests/emu_kernel_test.cpp.
#include <sys/mman.h>

#include <cstring>

#include "block.h"
#include "fiber.h"
#include "internal.h"

namespace emu {
// initial-exec: one instruction per threadIdx read instead of a __tls_get_addr call (a few bytes of
// the static TLS that glibc keeps for libraries loaded later)
__attribute__((tls_model("initial-exec"))) thread_local const ThreadView* current_thread = nullptr;

namespace {
constexpr size_t kStackBytes = 64 * 1024;
constexpr size_t kStaticLimit = 48 * 1024;
constexpr size_t kOptinLimit = 227 * 1024;  // sharedMemPerBlockOptin of the emulated device (device.cpp)

enum class State { Idle, Ready, Running, AtBarrier, AtWarp, Exited };

struct CudaThread {
  ThreadView view;
  unsigned linear = 0;
  State state = State::Idle;
  Context ctx;
  int stack = -1;
  uint64_t result = 0;
};

struct WarpPending {
  bool active = false;
  Collective kind = Collective::SyncWarp;
  unsigned mask = 0, arrived = 0;
  int width = 32;
  const char* name = "";
  uint64_t values[32] = {};
  int args[32] = {};
};

struct Runner {
  Context scheduler;
  std::vector<Stack> stacks;
  std::vector<int> free_stacks;
  std::vector<CudaThread> threads;
  std::vector<WarpPending> warps;
  unsigned n = 0, at_barrier = 0, exited = 0;
  unsigned long long block_linear = 0;
  const KernelLaunch* launch = nullptr;
  CudaThread* current = nullptr;
  CudaThread* dead = nullptr;  // ended, its stack not yet free
  bool ran = false;            // a thread ran in this pass
  std::vector<unsigned char> arena = std::vector<unsigned char>(kOptinLimit + 64);
  size_t dynamic = 0, static_start = 0, static_used = 0, total_limit = kStaticLimit, poisoned = 0;
  std::vector<std::pair<const void*, size_t>> slots;
  bool faulted = false;
  cudaError_t fault_code = cudaSuccess;
  std::string fault;
  Grid* grid = nullptr;  // the launch whose blocks this OS thread runs now

  ~Runner() {
    for (Stack& s : stacks) munmap_stack(s);
  }
  static void munmap_stack(Stack& s);
};

thread_local std::unique_ptr<Runner> runner_owner;  // frees the stacks when the worker ends
__attribute__((tls_model("initial-exec"))) thread_local Runner* runner_ptr = nullptr;

__attribute__((noinline)) Runner& new_runner() {
  runner_owner = std::make_unique<Runner>();
  runner_ptr = runner_owner.get();
  return *runner_ptr;
}

inline __attribute__((always_inline)) Runner& runner() {
  return __builtin_expect(runner_ptr != nullptr, 1) ? *runner_ptr : new_runner();
}

std::string label(const CudaThread& t) {
  const uint3 b = t.view.block_idx, i = t.view.thread_idx;
  return format("block (%u,%u,%u) thread (%u,%u,%u)", b.x, b.y, b.z, i.x, i.y, i.z);
}

int take_stack(Runner& r) {
  if (r.free_stacks.empty()) {
    Stack s = new_stack(kStackBytes);
    if (s.base == nullptr) return -1;
    r.stacks.push_back(s);
    return (int)r.stacks.size() - 1;
  }
  const int i = r.free_stacks.back();
  r.free_stacks.pop_back();
  return i;
}

void release_stack(Runner& r, CudaThread& t) {
  if (t.stack >= 0) r.free_stacks.push_back(t.stack);
  t.stack = -1;
}

/** Frees the stack of a thread that ended and switched away (it cannot free its own). */
void reap(Runner& r) {
  if (r.dead) release_stack(r, *r.dead);
  r.dead = nullptr;
}

void thread_main(void* arg);

/** The first thread at or after index from that can run in this pass, made ready to be switched to. */
CudaThread* next_runnable(Runner& r, unsigned from) {
  for (unsigned i = from; i < r.n; ++i) {
    CudaThread& t = r.threads[i];
    if (t.state != State::Idle && t.state != State::Ready) continue;
    if (t.state == State::Idle) {
      t.stack = take_stack(r);
      if (t.stack < 0) {
        r.faulted = true;
        r.fault_code = cudaErrorLaunchOutOfResources;
        r.fault = "no host memory for another fiber stack";
        return nullptr;
      }
      make_context(&t.ctx, r.stacks[(size_t)t.stack], &thread_main, &t);
    }
    t.state = State::Running;
    r.current = &t;
    current_thread = &t.view;
    r.ran = true;
    return &t;
  }
  r.current = nullptr;
  current_thread = nullptr;
  return nullptr;
}

/**
 * Gives control away until this thread is resumed: straight to the next thread of the pass (one
 * switch, not two through the scheduler), or back to the scheduler when the pass is over.
 */
void suspend(Runner& r, CudaThread& t) {
  CudaThread* next = r.faulted ? nullptr : next_runnable(r, t.linear + 1);
  switch_context(&t.ctx, next ? &next->ctx : &r.scheduler);
  reap(r);
}

bool release_barrier(Runner& r) {
  if (r.at_barrier == 0 || r.at_barrier + r.exited != r.n) return false;
  for (CudaThread& t : r.threads)
    if (t.state == State::AtBarrier) t.state = State::Ready;
  r.at_barrier = 0;
  return true;
}

/**
 * A fiber: runs its thread's body; when the body returns, the fiber takes the next thread that
 * has not started yet and runs it too, on the same stack (the scheduler would start exactly that
 * thread next), so a block whose threads never wait costs one switch, not two per thread. Once
 * no thread is left to start, it hands over and its stack is freed.
 */
void thread_main(void* arg) {
  auto* t = static_cast<CudaThread*>(arg);
  Runner& r = runner();
  reap(r);
  for (;;) {
    r.launch->call->invoke();
    t->state = State::Exited;
    ++r.exited;
    release_barrier(r);
    if (r.faulted) break;
    unsigned i = t->linear + 1;
    while (i < r.n && r.threads[i].state != State::Idle) ++i;
    if (i == r.n) break;
    CudaThread& next = r.threads[i];
    next.stack = t->stack;  // the stack this fiber runs on now belongs to next
    t->stack = -1;
    next.state = State::Running;
    r.current = &next;
    current_thread = &next.view;
    t = &next;
  }
  r.dead = t;
  suspend(r, *t);
  __builtin_unreachable();
}

inline unsigned lanes_present(const Runner& r, unsigned warp) {
  const unsigned first = warp * 32, count = r.n - first >= 32 ? 32 : r.n - first;
  return count == 32 ? 0xffffffffu : ((1u << count) - 1);
}

/** Why no thread of the block can go on. */
std::string deadlock(const Runner& r) {
  unsigned barrier = 0;
  std::string warps;
  for (size_t w = 0; w < r.warps.size(); ++w) {
    const WarpPending& p = r.warps[w];
    if (!p.active) continue;
    std::string missing;
    unsigned l = 0;
    while (l < 32) {  // runs of lanes in the same state
      const auto state_of = [&](unsigned lane) {
        if (!(p.mask & (1u << lane)) || (p.arrived & (1u << lane))) return -1;
        const State s = r.threads[w * 32 + lane].state;
        return s == State::Exited ? 0 : (s == State::AtBarrier ? 1 : 2);
      };
      const int s = state_of(l);
      unsigned end = l + 1;
      while (end < 32 && state_of(end) == s) ++end;
      if (s >= 0) {
        const bool one = end - 1 == l;
        const char* what = s == 0 ? (one ? "has exited" : "have exited")
                                  : (s == 1 ? (one ? "waits at __syncthreads" : "wait at __syncthreads")
                                            : (one ? "waits elsewhere" : "wait elsewhere"));
        missing += one ? format(" lane %u %s;", l, what) : format(" lanes %u-%u %s;", l, end - 1, what);
      }
      l = end;
    }
    warps += format(" warp %zu waits at %s (mask 0x%08x) for:%s", w, p.name, p.mask, missing.c_str());
  }
  for (const CudaThread& t : r.threads) barrier += t.state == State::AtBarrier;
  return format("no thread can go on (a deadlock on a GPU): %u threads wait at __syncthreads, %u exited;%s", barrier,
                r.exited, warps.c_str());
}

void run_block(Runner& r) {
  while (!r.faulted && r.exited < r.n) {
    r.ran = false;
    if (CudaThread* first = next_runnable(r, 0)) {  // one pass: the threads hand over to each other
      switch_context(&r.scheduler, &first->ctx);
      reap(r);
    }
    if (!r.ran && !r.faulted) {
      r.faulted = true;
      r.fault_code = cudaErrorLaunchFailure;
      r.fault = format("block (%u,%u,%u): ", r.threads[0].view.block_idx.x, r.threads[0].view.block_idx.y,
                       r.threads[0].view.block_idx.z) + deadlock(r);
    }
  }
  r.current = nullptr;
  current_thread = nullptr;
  if (r.faulted)
    for (CudaThread& t : r.threads) release_stack(r, t);
}

/** Computes every lane's result of a completed collective and wakes the lanes. */
void complete(Runner& r, unsigned warp, WarpPending& p) {
  CudaThread* lanes = &r.threads[warp * 32];
  const unsigned mask = p.mask;
  if (p.kind == Collective::Ballot || p.kind == Collective::Any || p.kind == Collective::All ||
      p.kind == Collective::SyncWarp) {
    uint64_t ballot = 0;
    for (unsigned l = 0; l < 32; ++l)
      if ((mask >> l) & 1 && p.values[l]) ballot |= 1ull << l;
    const uint64_t out = p.kind == Collective::Ballot ? ballot
                         : p.kind == Collective::Any  ? (ballot != 0)
                         : p.kind == Collective::All  ? (ballot == mask)
                                                      : 0;
    for (unsigned l = 0; l < 32; ++l)
      if ((mask >> l) & 1) {
        lanes[l].result = out;
        if (lanes[l].state == State::AtWarp) lanes[l].state = State::Ready;
      }
  } else {
    const int w = p.width;
    for (unsigned lane = 0; lane < 32; ++lane) {
      if (!((mask >> lane) & 1)) continue;
      const unsigned seg = lane & ~(unsigned)(w - 1), in_seg = lane & (unsigned)(w - 1);
      const int arg = p.args[lane];
      long src;
      switch (p.kind) {
        case Collective::ShflIdx: src = (long)seg + (arg & (w - 1)); break;
        case Collective::ShflUp: src = (long)in_seg >= arg ? (long)lane - arg : (long)lane; break;
        case Collective::ShflDown: src = (long)in_seg + arg < w ? (long)lane + arg : (long)lane; break;
        default: {  // xor: a source in a later group of width lanes gives the lane's own value
          const long x = (long)(lane ^ (unsigned)arg);
          src = (x / w) > (long)(lane / (unsigned)w) || x > 31 ? (long)lane : x;
        }
      }
      // a source lane the mask does not name is inactive: its value is undefined, here poison
      lanes[lane].result = (src >= 0 && src < 32 && ((mask >> src) & 1)) ? p.values[src] : ~0ull;
      if (lanes[lane].state == State::AtWarp) lanes[lane].state = State::Ready;
    }
  }
  p.active = false;
  p.arrived = 0;
}
}  // namespace

void Runner::munmap_stack(Stack& s) {
  if (s.base) munmap(s.base, s.size + 4096);
}

[[noreturn]] void kernel_fault(cudaError_t code, const std::string& message) {
  Runner& r = runner();
  CudaThread& t = *r.current;
  if (!r.faulted) {
    r.faulted = true;
    r.fault_code = code;
    r.fault = label(t) + ": " + message;
  }
  t.state = State::Exited;
  r.dead = &t;
  r.current = nullptr;
  current_thread = nullptr;
  switch_context(&t.ctx, &r.scheduler);  // the launch ends: straight back to the scheduler
  __builtin_unreachable();
}

bool in_kernel() { return runner_ptr != nullptr && runner_ptr->current != nullptr; }

bool claim_conditional_setter() {
  Runner& r = runner();
  return grid_claim_setter(r.grid, (long long)(r.block_linear * r.n + r.current->linear));
}

std::string current_label() {
  Runner& r = runner();
  return label(*r.current);
}

void sync_threads() {
  Runner& r = runner();
  CudaThread& t = *r.current;
  t.state = State::AtBarrier;
  ++r.at_barrier;
  if (!release_barrier(r)) suspend(r, t);
  t.state = State::Running;
}

uint64_t warp_collective(Collective kind, unsigned mask, uint64_t value, int arg, int width, const char* name) {
  Runner& r = runner();
  CudaThread& t = *r.current;
  const unsigned warp = t.linear / 32, lane = t.linear % 32;
  if (__builtin_expect(!(mask & (1u << lane)), 0)) kernel_fault(cudaErrorLaunchFailure, format("%s with mask 0x%08x, which does not name the calling lane %u", name, mask, lane));
  if (mask & ~lanes_present(r, warp))
    kernel_fault(cudaErrorLaunchFailure,
                 format("%s with mask 0x%08x names lanes that warp %u of a %u-thread block does not have", name, mask,
                        warp, r.n));
  if (width < 1 || width > 32 || (width & (width - 1)))
    kernel_fault(cudaErrorLaunchFailure, format("%s with width %d (a power of two up to 32)", name, width));
  WarpPending& p = r.warps[warp];
  if (!p.active) {
    p.active = true;
    p.kind = kind;
    p.mask = mask;
    p.width = width;
    p.name = name;
    p.arrived = 0;
  } else if (p.kind != kind || p.mask != mask || p.width != width) {
    kernel_fault(cudaErrorLaunchFailure,
                 format("%s (mask 0x%08x) while other lanes of warp %u wait at %s (mask 0x%08x): divergent warp "
                        "collectives",
                        name, mask, warp, p.name, p.mask));
  }
  if (p.arrived & (1u << lane)) kernel_fault(cudaErrorLaunchFailure, format("%s reached twice by lane %u", name, lane));
  p.values[lane] = value;
  p.args[lane] = arg;
  p.arrived |= 1u << lane;
  if (p.arrived == p.mask) {
    complete(r, warp, p);
  } else {
    t.state = State::AtWarp;
    suspend(r, t);
  }
  t.state = State::Running;
  return t.result;
}

void* shared_slot(const void* tag, size_t size, size_t align, const char* name) {
  Runner& r = runner();
  for (auto& s : r.slots)
    if (s.first == tag) return r.arena.data() + s.second;
  if (align < 1) align = 1;
  const size_t off = (r.static_start + r.static_used + align - 1) / align * align;
  const size_t end = off + size;
  if (end - r.static_start > kStaticLimit)
    kernel_fault(cudaErrorLaunchOutOfResources,
                 format("static __shared__ memory over 48 KB with %s (%zu bytes)", name, size));
  if (end > r.total_limit)
    kernel_fault(cudaErrorInvalidValue,
                 format("shared memory: %zu static bytes (with %s) and %zu dynamic bytes exceed the %zu-byte limit of "
                        "this kernel (a GPU refuses such a launch with cudaErrorInvalidValue)",
                        end - r.static_start, name, r.dynamic, r.total_limit));
  if (end > r.poisoned) {
    std::memset(r.arena.data() + r.poisoned, 0xFF, end - r.poisoned);
    r.poisoned = end;
  }
  r.static_used = end - r.static_start;
  r.slots.push_back({tag, off});
  return r.arena.data() + off;
}

void* dynamic_shared(size_t align) {
  (void)align;  // the arena starts 64-byte aligned: enough for any type
  return runner().arena.data();
}

void begin_blocks(const KernelLaunch& k, Grid* grid) {
  Runner& r = runner();
  const unsigned n = k.block.x * k.block.y * k.block.z;
  r.n = n;
  r.threads.assign(n, CudaThread());
  r.warps.assign((n + 31) / 32, WarpPending());
  for (unsigned i = 0; i < n; ++i) {
    CudaThread& t = r.threads[i];
    t.linear = i;
    t.view.thread_idx = {i % k.block.x, (i / k.block.x) % k.block.y, i / (k.block.x * k.block.y)};
    t.view.block_dim = k.block;
    t.view.grid_dim = k.grid;
  }
  r.launch = &k;
  r.grid = grid;
  r.faulted = false;
  r.fault.clear();
  r.dynamic = k.shared;
  r.static_start = (k.shared + 63) / 64 * 64;
  r.total_limit = k.shared_limit > kStaticLimit ? kOptinLimit : kStaticLimit;
  if (r.static_start > r.poisoned) r.poisoned = r.static_start;
}

bool run_one_block(unsigned long long linear) {
  Runner& r = runner();
  const KernelLaunch& k = *r.launch;
  const unsigned x = (unsigned)(linear % k.grid.x), y = (unsigned)(linear / k.grid.x % k.grid.y),
                 z = (unsigned)(linear / ((unsigned long long)k.grid.x * k.grid.y));
  for (CudaThread& t : r.threads) {
    t.view.block_idx = {x, y, z};
    t.state = State::Idle;
  }
  for (WarpPending& p : r.warps) p.active = false, p.arrived = 0;
  r.at_barrier = r.exited = 0;
  r.block_linear = linear;
  r.slots.clear();
  r.static_used = 0;
  std::memset(r.arena.data(), 0xFF, r.poisoned);  // shared memory nothing wrote reads as NaN
  run_block(r);
  if (r.faulted) grid_fault(r.grid, r.fault_code, r.fault);
  return !r.faulted;
}

void end_blocks() {
  Runner& r = runner();
  r.launch = nullptr;
  r.grid = nullptr;
}
}  // namespace emu
