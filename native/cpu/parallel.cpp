#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "status.h"

namespace pvll {
namespace {

constexpr int64_t kMaxChunks = 64;

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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      chunks_ = chunks;
      next_.store(0);
      done_ = 0;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    int64_t mine = work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_ += mine;
    finished_.wait(lock, [&] { return done_ == chunks_; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  int64_t work() {
    int64_t count = 0;
    for (int64_t c = next_.fetch_add(1); c < chunks_; c = next_.fetch_add(1)) {
      try {
        (*task_)(c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      ++count;
    }
    return count;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      int64_t mine = work();
      std::lock_guard<std::mutex> lock(mutex_);
      done_ += mine;
      if (done_ == chunks_) finished_.notify_one();
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
  const std::function<void(int64_t)>* task_ = nullptr;
  std::atomic<int64_t> next_{0};
  int64_t chunks_ = 0;
  int64_t done_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
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

int num_threads() { return pool().threads(); }
void set_num_threads(int threads) { pool().set_threads(threads); }

}  // namespace pvll

PVLL_API int pvll_set_num_threads(int threads) {
  PVLL_REQUIRE(threads >= 1, "pvll_set_num_threads: threads must be >= 1, got %d", threads);
  pvll::set_num_threads(threads);
  return PVLL_OK;
}

PVLL_API int pvll_get_num_threads(void) { return pvll::num_threads(); }
