#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "status.h"

namespace pvll {
namespace {

constexpr int64_t kMaxChunks = 64;

// How long a worker polls for the next job before it sleeps, and how long the caller polls for
// the last chunks before it sleeps. Waking a sleeping thread costs the waker a futex call and the
// sleeper tens of microseconds (more under a hypervisor), as much as a whole small op; kernels
// come one after another, so a worker that has just finished one is usually still polling when
// the next one starts (what libtorch's OpenMP threads do too, for longer).
constexpr auto kWorkerSpin = std::chrono::microseconds(50);
constexpr auto kCallerSpin = std::chrono::microseconds(200);

inline void cpu_relax() { __builtin_ia32_pause(); }

// Polls ready() for up to `limit`; true when it became true.
template <class Ready>
bool spin_until(Ready&& ready, std::chrono::microseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() - start > limit) return ready();
  }
}

// One parallel region: chunk indices are handed out by `next`. A worker joins a job only under
// the pool mutex and only while it is published (counted in `active`); the caller unpublishes
// it once every chunk is done and then waits for `active` to reach zero, so a late worker can
// never touch a finished job or take chunks of the next one.
struct Job {
  const std::function<void(int64_t)>* task;
  int64_t chunks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<int> active{0};
  std::exception_ptr error;
};

class ThreadPool {
 public:
  ThreadPool() : threads_(std::max(1u, std::thread::hardware_concurrency())) {}
  ~ThreadPool() { stop_workers(); }

  int threads() const { return threads_; }

  void set_threads(int threads) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop_workers();
    threads_ = std::max(1, threads);
  }

  void run(int64_t chunks, const std::function<void(int64_t)>& task) {
    if (chunks <= 1 || threads_ <= 1) {
      for (int64_t c = 0; c < chunks; ++c) task(c);
      return;
    }
    std::lock_guard<std::mutex> run_lock(run_mutex_);  // one parallel region at a time
    start_workers();
    Job job;
    job.task = &task;
    job.chunks = chunks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
      if (sleeping_ > 0) wake_.notify_all();  // the polling workers see generation_
    }
    job.done.fetch_add(work(job), std::memory_order_acq_rel);
    auto all_done = [&] { return job.done.load(std::memory_order_acquire) == job.chunks; };
    if (!spin_until(all_done, kCallerSpin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      finished_.wait(lock, all_done);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;
    }
    // workers that joined after the last chunk was taken find none and leave at once
    while (job.active.load(std::memory_order_acquire) != 0) cpu_relax();
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  static int64_t work(Job& job) {
    int64_t count = 0;
    for (int64_t c = job.next.fetch_add(1); c < job.chunks; c = job.next.fetch_add(1)) {
      try {
        (*job.task)(c);
      } catch (...) {
        // the first error wins
        static std::mutex error_mutex;
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!job.error) job.error = std::current_exception();
      }
      ++count;
    }
    return count;
  }

  void worker_loop() {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // poll for the next job for a while, then sleep until one is published
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen || stopping_.load(); },
                 kWorkerSpin);
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleeping_;
        wake_.wait(lock, [&] {
          return stopping_.load() || (generation_.load(std::memory_order_relaxed) != seen && job_ != nullptr);
        });
        --sleeping_;
        if (stopping_.load()) return;
        seen = generation_.load(std::memory_order_relaxed);
        job = job_;
        job->active.fetch_add(1, std::memory_order_relaxed);
      }
      const int64_t mine = work(*job);
      if (job->done.fetch_add(mine, std::memory_order_acq_rel) + mine == job->chunks) {
        std::lock_guard<std::mutex> lock(mutex_);  // the caller may be asleep
        finished_.notify_one();
      }
      job->active.fetch_sub(1, std::memory_order_release);  // the last touch of the job
    }
  }

  void start_workers() {
    if (!workers_.empty()) return;
    stopping_ = false;
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int threads_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<std::thread> workers_;
  Job* job_ = nullptr;  // guarded by mutex_
  std::atomic<uint64_t> generation_{0};
  int sleeping_ = 0;  // workers waiting on wake_; guarded by mutex_
  std::atomic<bool> stopping_{false};
};

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

}  // namespace

int64_t chunk_count(int64_t n, int64_t grain) {
  if (n <= 0) return 0;
  grain = std::max<int64_t>(1, grain);
  return std::min<int64_t>(kMaxChunks, (n + grain - 1) / grain);
}

void parallel_chunks(int64_t n, int64_t grain,
                     const std::function<void(int64_t, int64_t, int64_t)>& body) {
  const int64_t chunks = chunk_count(n, grain);
  if (chunks == 0) return;
  const int64_t base = n / chunks, extra = n % chunks;
  pool().run(chunks, [&](int64_t c) {
    const int64_t begin = c * base + std::min(c, extra);
    const int64_t end = begin + base + (c < extra ? 1 : 0);
    body(c, begin, end);
  });
}

// 1 MB, with workers that poll for 50 us after each job (above). The 8 MB of the sleeping pool
// (measured then: the calling thread alone as fast or 5-20% faster for add on 64x7x7, 2.4 MB,
// global average pooling on 64x7x7 and 16x32x32, 0.8 and 4 MB, concat on 64x7x7, 6.4 MB) kept
// those ops on one core, where libtorch's spinning OpenMP threads use two. Quiet A/B against the
// sleeping pool (session 4, benchmarks/RESULTS.md): depthwise 3x3 calls of 0.05-0.25 ms 1.2-1.8x
// faster, the whole training step unchanged within its noise.
int64_t inline_bytes() { return int64_t(1) << 20; }

void parallel_chunks_sized(int64_t n, int64_t grain, int64_t bytes,
                           const std::function<void(int64_t, int64_t, int64_t)>& body) {
  if (bytes >= inline_bytes()) return parallel_chunks(n, grain, body);
  const int64_t chunks = chunk_count(n, grain);
  if (chunks == 0) return;
  const int64_t base = n / chunks, extra = n % chunks;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * base + std::min(c, extra);
    body(c, begin, begin + base + (c < extra ? 1 : 0));
  }
}

int num_threads() { return pool().threads(); }
void set_num_threads(int threads) { pool().set_threads(threads); }

}  // namespace pvll

PVLL_API int pvll_set_num_threads(int threads) {
  PVLL_REQUIRE(threads >= 1, "pvll_set_num_threads: threads must be >= 1, got %d", threads);
  pvll::set_num_threads(threads);
  return PVLL_OK;
}

PVLL_API int pvll_get_num_threads(void) { return pvll::num_threads(); }
