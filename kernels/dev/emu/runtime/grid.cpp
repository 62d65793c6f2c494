// Runs a kernel launch on the emulated device: its blocks on the stream's worker thread and on the
// helper threads that are free (PVLL_CUDA_EMULATED_THREADS OS threads in all, default the
// machine's cores up to 4), each taking the next block from a shared counter. Blocks of one launch
// are independent in CUDA (only atomics and the end of the launch order them), so the results do
// not depend on which thread ran which block; a kernel whose blocks race shows it. The first
// fault of any block ends the launch and becomes the device's sticky fault; after the grid, the
// guards of the memory it could write are checked.
// Checked by kernels/dev/emu/tests/emu_kernel_test.cpp and every test on the emulated device.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "block.h"

namespace emu {
struct Grid {
  const KernelLaunch* k = nullptr;
  unsigned long long total = 0;
  std::atomic<unsigned long long> next{0};
  std::atomic<bool> faulted{false};
  std::atomic<long long> setter{-1};
  int helpers = 0;  // helper threads working on it; guarded by the pool's mutex
  std::mutex fault_mutex;
  cudaError_t code = cudaSuccess;
  std::string message;
};

namespace {
/** Helper threads that join launches with blocks left. */
struct Pool {
  std::mutex mutex;
  std::condition_variable work, finished;
  std::vector<Grid*> open;  // launches that take helpers
  int threads = 0;
};

int thread_count() {
  static const int count = [] {
    if (const char* v = std::getenv("PVLL_CUDA_EMULATED_THREADS")) return std::max(1, std::atoi(v));
    const unsigned hw = std::thread::hardware_concurrency();
    return (int)std::min(4u, std::max(1u, hw));
  }();
  return count;
}

void run_blocks(Grid* g) {
  begin_blocks(*g->k, g);
  for (;;) {
    if (g->faulted.load(std::memory_order_relaxed)) break;
    const unsigned long long b = g->next.fetch_add(1);
    if (b >= g->total) break;
    run_one_block(b);
  }
  end_blocks();
}

void helper(Pool* p) {
  std::unique_lock<std::mutex> hold(p->mutex);
  for (;;) {
    p->work.wait(hold, [&] { return !p->open.empty(); });
    Grid* g = p->open.back();
    ++g->helpers;
    hold.unlock();
    run_blocks(g);
    hold.lock();
    --g->helpers;
    p->finished.notify_all();
  }
}

Pool& pool() {
  static Pool* p = [] {
    auto* pool = new Pool();
    pool->threads = thread_count() - 1;
    for (int i = 0; i < pool->threads; ++i) std::thread(helper, pool).detach();
    return pool;
  }();
  return *p;
}
}  // namespace

void grid_fault(Grid* g, cudaError_t code, const std::string& message) {
  std::lock_guard<std::mutex> hold(g->fault_mutex);
  if (!g->faulted.exchange(true)) {
    g->code = code;
    g->message = message;
  }
}

bool grid_claim_setter(Grid* g, long long who) {
  long long none = -1;
  if (g->setter.compare_exchange_strong(none, who)) return true;
  return none == who;
}

void run_grid(const KernelLaunch& k) {
  const double start = profiling() ? now_ms() : 0;
  Grid g;
  g.k = &k;
  g.total = (unsigned long long)k.grid.x * k.grid.y * k.grid.z;
  Pool& p = pool();
  const bool share = g.total > 1 && p.threads > 0;
  if (share) {
    std::lock_guard<std::mutex> hold(p.mutex);
    p.open.push_back(&g);
    p.work.notify_all();
  }
  run_blocks(&g);
  if (share) {  // no helper may join any more; wait for those that did
    std::unique_lock<std::mutex> hold(p.mutex);
    p.open.erase(std::find(p.open.begin(), p.open.end(), &g));
    p.finished.wait(hold, [&] { return g.helpers == 0; });
  }
  if (profiling()) profile_kernel(k, now_ms() - start);
  std::lock_guard<std::mutex> hold(lock());
  if (g.faulted) {
    raise_fault(g.code, format("kernel %s: %s", k.name.c_str(), g.message.c_str()));
    return;
  }
  std::vector<Access> touched;
  k.accesses(&touched);
  for (const Access& a : touched)
    if (a.write) check_guards(a.alloc, true);
}
}  // namespace emu
