// The state of the emulated CUDA runtime, shared by its files: one device (cuda:0), its
// allocations, streams (one worker thread each), events, stream captures and graphs. Every field
// is guarded by the one runtime lock (lock()); workers drop it only while an operation runs.
// Global state is allocated once and never freed, so worker threads still waiting at process exit
// never see a destroyed mutex.
#pragma once

#include <condition_variable>
#include <cstdarg>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda_runtime.h"

namespace emu {
struct Alloc;
struct Capture;

// ---------------------------------------------------------------- errors (errors.cpp)
/** Records error as this thread's last error with a detail message; returns it. */
cudaError_t fail(cudaError_t error, const char* format, ...) __attribute__((format(printf, 2, 3)));
/** The sticky fault of the device (an asynchronous error: every later call returns it), or success. */
cudaError_t sticky();
/** The sticky fault as the error of api (detail recorded), or success. Caller holds the lock. */
cudaError_t fail_sticky(const char* api);
/** Makes the device faulted (first fault wins); prints it. Caller holds the lock. */
void raise_fault(cudaError_t error, const std::string& message);
/** Prints a diagnostic line to stderr, prefixed with the emulator's name. */
void warn(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string vformat(const char* format, va_list args);

std::mutex& lock();
/** Notified whenever an operation completes or a stream changes. */
std::condition_variable& changed();

/** Entry of a host API call: takes the lock; fails with the sticky fault if there is one. */
class Api {
 public:
  explicit Api(const char* name) : name_(name), hold_(lock()) {}
  const char* name() const { return name_; }
  std::unique_lock<std::mutex>& hold() { return hold_; }
  /** The sticky fault as this call's error, or success. */
  cudaError_t faulted();

 private:
  const char* name_;
  std::unique_lock<std::mutex> hold_;
};

// ---------------------------------------------------------------- memory (memory.cpp)
/** A memory access of an operation: [start, start + len) of an allocation, len 0 = to its end. */
struct Access {
  Alloc* alloc;
  uintptr_t start;
  size_t len;
  bool write;
};

/** One cudaMalloc or cudaHostAlloc block, with guard bytes around it. */
struct Alloc {
  uintptr_t base;
  size_t size;
  void* map;
  size_t mapped;
  bool pinned;
  unsigned long long serial;
  std::string writers[2];  // the last two operations that could write it (named in overrun reports)
  struct Record {
    uintptr_t start;
    size_t len;
    bool write;
    int slot;
    uint64_t clock;
    std::string op;
  };
  std::vector<Record> records;  // recent accesses, for the race check (races.cpp)
};

/** The allocation holding p (p == its end counts when allow_end), or null. Caller holds the lock. */
Alloc* find_alloc(const void* p, bool allow_end);
/**
 * Checks the guards of a (quick: the 256 bytes on each side, after every operation and at every
 * synchronisation; else to the end of its pages too, at free); raises a sticky fault naming it
 * and who wrote it last.
 */
bool check_guards(Alloc* a, bool quick = false);
/** Checks the 256 guard bytes on each side of every allocation (at synchronisation). */
bool check_all_guards();
/** Name of an allocation for messages. */
std::string describe(const Alloc* a);

// ---------------------------------------------------------------- happens-before (races.cpp)
/** A vector clock over stream slots. */
using Clock = std::vector<uint64_t>;
void join(Clock& into, const Clock& other);
/** What the host has seen complete (every enqueue happens after it). */
Clock& host_clock();
/**
 * Checks the accesses of an operation about to be enqueued at (slot, vc): each conflicting earlier
 * access must happen before it. Returns false with the error recorded (the operation is refused).
 */
bool check_races(const char* api, const std::string& op, int slot, const Clock& vc, uint64_t clock,
                 const std::vector<Access>& accesses);
bool races_enabled();
/**
 * Two nodes of one graph that no path of dependencies orders and that touch the same memory, one
 * writing (ancestors[j] is a bitset of the nodes that run before node j): a description, or "".
 */
std::string unordered_conflict(const std::vector<std::string>& names, const std::vector<std::vector<Access>>& accesses,
                               const std::vector<std::vector<uint64_t>>& ancestors);

// ---------------------------------------------------------------- operations and streams (streams.cpp)
/** What an operation does when its stream's worker reaches it. */
class Work {
 public:
  virtual ~Work() = default;
  virtual void run() = 0;
  virtual std::string name() const = 0;
  virtual void accesses(std::vector<Access>* out) const { (void)out; }
};

struct Op {
  uint64_t seq;
  std::vector<std::pair<CUstream_st*, uint64_t>> waits;
  std::shared_ptr<Work> work;
};
}  // namespace emu

struct CUstream_st {
  unsigned flags = 0;
  bool legacy = false;
  int slot = 0;
  std::deque<emu::Op> queue;
  uint64_t enqueued = 0, completed = 0;
  bool destroyed = false;
  emu::Clock vc;
  // stream capture
  emu::Capture* capture = nullptr;
  std::vector<CUgraphNode_st*> capture_deps;
};

struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  CUstream_st* stream = nullptr;
  uint64_t seq = 0;
  emu::Clock vc;
  std::shared_ptr<double> completed_ms;  // host time when the record ran (cudaEventElapsedTime)
  unsigned long long captured = 0;       // id of the capture it was last recorded into, or 0
  std::vector<CUgraphNode_st*> capture_deps;
};

namespace emu {
/** The legacy default stream. */
CUstream_st* legacy_stream();
/** A stream argument resolved (NULL and cudaStreamLegacy: the legacy stream); null with the error set. */
CUstream_st* resolve_stream(cudaStream_t stream, const char* api);
/** The error of the last failed resolve_stream on this thread. */
cudaError_t stream_error();
/**
 * Enqueues work on stream s (not capturing) with the legacy stream's implicit ordering, after
 * the race check; returns the error (the work is then not enqueued).
 */
cudaError_t enqueue(const char* api, CUstream_st* s, std::shared_ptr<Work> work,
                    std::vector<std::pair<CUstream_st*, uint64_t>> extra_waits = {}, const Clock* extra_vc = nullptr);
/** Enqueues an operation that only orders (recording its completion time in stamp when set). */
cudaError_t enqueue_marker(const char* api, CUstream_st* s, std::shared_ptr<double> stamp,
                           std::vector<std::pair<CUstream_st*, uint64_t>> waits, const Clock* vc);
/** The host waits for all work enqueued so far on s; checks guards; the sticky fault or success. */
cudaError_t host_wait(Api& api, CUstream_st* s);
/** Blocks (the lock released meanwhile) until op seq of s has completed. */
void wait_for(std::unique_lock<std::mutex>& hold, CUstream_st* s, uint64_t seq);
bool done(CUstream_st* s, uint64_t seq);
/** Every live stream (for device-wide waits and checks). */
std::vector<CUstream_st*>& streams();
double now_ms();

// ---------------------------------------------------------------- kernels (launch.cpp, block.cpp)
/** A kernel launch: its bound call, geometry and site. */
struct KernelLaunch {
  std::shared_ptr<const KernelCall> call;
  dim3 grid, block;
  size_t shared = 0;
  size_t shared_limit = 48 * 1024;  // its dynamic shared memory limit (cudaFuncSetAttribute)
  std::string name;
  std::vector<PointerArg> pointers;  // into device or pinned memory (checked at launch)
  /** The allocations it touches now (a pointer's extent is unknown: to the block's end). */
  void accesses(std::vector<Access>* out) const;
};
/** Inside a kernel: ends the calling CUDA thread and the launch with a fault (sticky once the grid ends). */
[[noreturn]] void kernel_fault(cudaError_t code, const std::string& message);
/** Whether the caller is a CUDA thread of a running kernel. */
bool in_kernel();
/** "block (x,y,z) thread (x,y,z)" of the calling CUDA thread. */
std::string current_label();
/** Whether the calling CUDA thread is the only one of its launch to set conditionals (the first claims it). */
bool claim_conditional_setter();
/** Whether PVLL_CUDA_EMULATED_PROFILE=1 (profile.cpp); then profile_kernel counts each grid run. */
bool profiling();
void profile_kernel(const KernelLaunch& k, double ms);
/** Runs every block of the launch on the calling worker thread. Faults become sticky. */
void run_grid(const KernelLaunch& k);
/** Checks a launch's geometry and pointers, resolves its accesses; the error when it cannot run. */
cudaError_t prepare_launch(KernelLaunch* k);
/** The registered name of a kernel function, or "kernel". */
std::string kernel_name(const void* function);
KernelFactory kernel_factory(const void* function);
size_t max_dynamic_shared(const void* function);

// ---------------------------------------------------------------- capture and graphs (capture.cpp, graphs.cpp)
/** A stream capture sequence. */
struct Capture {
  unsigned long long id;
  CUgraph_st* graph;
  bool into_existing;  // cudaStreamBeginCaptureToGraph
  cudaStreamCaptureMode mode;
  std::thread::id thread;
  CUstream_st* origin;
  cudaError_t invalidated = cudaSuccess;  // why, once invalid
  std::vector<CUstream_st*> streams;      // every stream that joined it
};
/** Every open capture. */
std::vector<Capture*>& captures();
/** Marks c invalid (its streams' later calls fail until cudaStreamEndCapture). */
void invalidate(Capture* c, cudaError_t why);
/**
 * What a call that is prohibited or would synchronise does while captures are open: returns an
 * error (and invalidates what the real runtime invalidates), or success to go on. kinds in
 * capture.cpp.
 */
enum class Hazard { Unsafe, DeviceSync, LegacyStream };
cudaError_t capture_hazard(const char* api, Hazard hazard);
/** Adds a node for work on capturing stream s (its dependencies: the stream's set). */
cudaError_t capture_work(const char* api, CUstream_st* s, cudaGraphNodeType type, std::shared_ptr<KernelLaunch> kernel,
                         std::shared_ptr<Work> copy);
/** cudaEventRecord on capturing stream s: e holds the capture's dependency set. */
cudaError_t capture_event_record(const char* api, CUevent_st* e, CUstream_st* s);
/** cudaStreamWaitEvent where s captures or e was recorded in a capture: a join, a fork or an error. */
cudaError_t capture_wait_event(const char* api, CUstream_st* s, CUevent_st* e);
/** Waits for every stream of the device and joins them into the host clock. */
void device_wait(std::unique_lock<std::mutex>& hold);
}  // namespace emu

struct CUgraphNode_st {
  CUgraph_st* graph = nullptr;
  cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
  std::vector<CUgraphNode_st*> deps;
  std::shared_ptr<emu::KernelLaunch> kernel;
  std::shared_ptr<emu::Work> copy;  // memcpy, memset and host nodes
  cudaGraphConditionalHandle handle = 0;
  std::vector<CUgraph_st*> bodies;
  std::vector<cudaGraph_t> body_handles;  // the phGraph_out array
  int index = 0;
};

struct CUgraph_st {
  std::vector<std::unique_ptr<CUgraphNode_st>> nodes;
  CUgraph_st* parent = nullptr;  // a conditional body's graph
  emu::Capture* capturing = nullptr;
};

namespace emu {
/** A new top-level graph (a valid handle); destroy_graph deletes it with its nodes and bodies. */
CUgraph_st* create_graph();
void destroy_graph(CUgraph_st* g);
CUgraphNode_st* add_node(CUgraph_st* g, cudaGraphNodeType type, const std::vector<CUgraphNode_st*>& deps);
bool valid_graph(const CUgraph_st* g);
}  // namespace emu
