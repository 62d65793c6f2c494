// The emulated device's NCCL: a stand-in for libnccl.so.2 whose ranks are threads of one process,
// for kernels/nccl.cu on the emulated CUDA runtime (kernels/dev/emu). CMake builds it as
// emulated-nccl/libnccl.so.2; libpvll_cuda_emulated.so carries the RPATH $ORIGIN/emulated-nccl
// (DT_RPATH, searched before LD_LIBRARY_PATH), so nccl.cu's dlopen("libnccl.so.2") finds this one
// under PVLL_CUDA=emulated and the real NCCL otherwise. The subset of NCCL 2's ABI that nccl.cu
// calls behaves as NCCL documents it for non-blocking communicators:
//   - ncclCommInitRankConfig returns ncclInProgress, and ncclCommGetAsyncError says so, until
//     every rank of the id has joined; an id made by another process is refused (these ranks
//     are threads: several processes need a real NCCL on a GPU);
//   - ncclAllReduce (sum) and ncclBroadcast return at once, their work enqueued on the stream as a
//     host function (the emulated runtime's cudaLaunchHostFunc) that waits until every rank's
//     stream has reached the same collective (the communicator's n-th), so a rank that never
//     calls leaves the others' streams busy for ever, as a dead peer leaves NCCL's kernels
//     spinning: what nccl.cu's deadlines are for. The last rank to arrive computes the result in
//     double (float32, float64) or copies the root's bytes (uint8) into every rank's buffer;
//   - the work runs at every replay of a CUDA graph that captured it (collectives are matched at
//     run time, in stream order, as NCCL's kernels are);
//   - ncclCommAbort ends its waiting work at once and makes later calls fail.
// Not NCCL: no transport, no topology, sums in rank order. Checked by
// kernels/dev/emu/tests/check_nccl.cpp (ctest) and NcclCommunicatorCudaTest (mvn test).
#include <dlfcn.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#define FAKE_NCCL_API extern "C" __attribute__((visibility("default")))

namespace {
typedef int ncclResult_t;
constexpr ncclResult_t ncclSuccess = 0, ncclSystemError = 2, ncclInvalidArgument = 4, ncclInvalidUsage = 5,
                       ncclInProgress = 7;
constexpr int ncclUint8 = 1, ncclFloat32 = 7, ncclFloat64 = 8;
constexpr int kVersion = 22903;  // reported as 2.29.3: the ABI nccl.cu declares

struct Group;
struct Call;

struct Comm {
  Group* group;
  int rank;
  bool aborted = false;
  long ran = 0;  // collectives this rank's stream has reached
  ncclResult_t async_error = ncclSuccess;
  std::deque<Call> calls;  // the host functions' arguments (a captured graph replays them)
};

/** One enqueued collective of one rank: what its host function does. */
struct Call {
  Comm* comm;
  int kind;  // 0 all-reduce, 1 broadcast
  void* buffer;
  size_t count;
  int type, root;
};

/** The n-th collective of a communicator: each rank's buffer, the result written when the last arrives. */
struct Op {
  int kind = 0;
  size_t count = 0;
  int type = 0, root = 0;
  std::vector<void*> buffers;
  int arrived = 0, left = 0;
  bool done = false;
};

struct Group {
  int nranks = 0;
  int joined = 0;
  std::map<long, Op> ops;  // by sequence number
};

std::mutex mutex;
std::condition_variable changed;
std::map<std::string, std::unique_ptr<Group>> groups;  // by unique id; kept: comms point into them
std::vector<std::unique_ptr<Comm>> comms;               // kept: a graph may still name their calls
long ids = 0;
std::mutex last_mutex;  // the last error's own lock: some calls that fail hold mutex, some do not
std::string last = "no error";

ncclResult_t failed(ncclResult_t r, const std::string& why) {
  std::lock_guard<std::mutex> hold(last_mutex);
  last = why;
  return r;
}

/** The emulated runtime's cudaLaunchHostFunc: in a program linked with the runtime (check_nccl), or the
 *  emulated library the JVM loaded under the real one's soname, libpvll_cuda.so. */
typedef int (*LaunchHostFunc)(void* stream, void (*fn)(void*), void* data);
LaunchHostFunc launch_host_func() {
  static LaunchHostFunc f = [] {
    void* s = dlsym(RTLD_DEFAULT, "cudaLaunchHostFunc");
    if (s == nullptr)
      if (void* lib = dlopen("libpvll_cuda.so", RTLD_LAZY | RTLD_NOLOAD)) s = dlsym(lib, "cudaLaunchHostFunc");
    return reinterpret_cast<LaunchHostFunc>(s);
  }();
  return f;
}

size_t element_size(int type) { return type == ncclFloat64 ? 8 : type == ncclFloat32 ? 4 : 1; }

void finish(Op& op) {
  if (op.kind == 1) {
    for (size_t r = 0; r < op.buffers.size(); ++r)
      if ((int)r != op.root) std::memcpy(op.buffers[r], op.buffers[op.root], op.count * element_size(op.type));
  } else {
    std::vector<double> sum(op.count, 0.0);
    for (void* b : op.buffers)
      for (size_t i = 0; i < op.count; ++i)
        sum[i] += op.type == ncclFloat64 ? static_cast<double*>(b)[i] : (double)static_cast<float*>(b)[i];
    for (void* b : op.buffers)
      for (size_t i = 0; i < op.count; ++i) {
        if (op.type == ncclFloat64) static_cast<double*>(b)[i] = sum[i];
        else static_cast<float*>(b)[i] = (float)sum[i];
      }
  }
  op.done = true;
}

/** The host function of one collective on one rank's stream: waits for every rank, or an abort. */
void run(void* data) {
  auto* call = static_cast<Call*>(data);
  Comm* c = call->comm;
  std::unique_lock<std::mutex> lock(mutex);
  if (c->aborted) return;  // an aborted communicator's work ends at once
  Group* g = c->group;
  const long seq = c->ran++;
  Op& op = g->ops[seq];
  if (op.buffers.empty()) {
    op.kind = call->kind, op.count = call->count, op.type = call->type, op.root = call->root;
    op.buffers.assign(g->nranks, nullptr);
  } else if (op.kind != call->kind || op.count != call->count || op.type != call->type || op.root != call->root) {
    c->async_error = failed(ncclInvalidUsage, "rank " + std::to_string(c->rank) + "'s collective " + std::to_string(seq)
                                                  + " differs from another rank's (kind, count, type or root)");
    return;
  }
  op.buffers[c->rank] = call->buffer;
  if (++op.arrived == g->nranks) {
    finish(op);
    changed.notify_all();
  } else {
    changed.wait(lock, [&] { return op.done || c->aborted; });
  }
  if (++op.left == g->nranks) g->ops.erase(seq);
}

ncclResult_t enqueue(int kind, void* buffer, size_t count, int type, int root, Comm* c, void* stream) {
  LaunchHostFunc launch = launch_host_func();
  std::lock_guard<std::mutex> lock(mutex);
  if (c == nullptr) return failed(ncclInvalidArgument, "NULL communicator");
  if (c->aborted) return failed(ncclInvalidUsage, "communicator aborted");
  if (c->group->joined < c->group->nranks) return failed(ncclInvalidUsage, "communicator still joining");
  if (type != ncclUint8 && type != ncclFloat32 && type != ncclFloat64)
    return failed(ncclInvalidArgument, "the emulated NCCL sums float32 and float64 and broadcasts uint8 only");
  if (root < 0 || root >= c->group->nranks) return failed(ncclInvalidArgument, "root out of range");
  if (launch == nullptr)
    return failed(ncclSystemError, "no emulated CUDA runtime in this process (cudaLaunchHostFunc not found)");
  c->calls.push_back(Call{c, kind, buffer, count, type, root});
  if (launch(stream, run, &c->calls.back()) != 0) {
    c->calls.pop_back();
    return failed(ncclSystemError, "cudaLaunchHostFunc failed on stream " + std::to_string((uintptr_t)stream));
  }
  return ncclSuccess;
}
}  // namespace

extern "C" {
struct ncclUniqueId {
  char internal[128];
};
struct ncclConfig {
  size_t size;
  unsigned int magic, version;
  int blocking;
};
}

FAKE_NCCL_API ncclResult_t ncclGetVersion(int* v) {
  if (v == nullptr) return failed(ncclInvalidArgument, "NULL version");
  *v = kVersion;
  return ncclSuccess;
}

FAKE_NCCL_API ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (id == nullptr) return failed(ncclInvalidArgument, "NULL id");
  std::lock_guard<std::mutex> lock(mutex);
  std::memset(id->internal, 0, sizeof id->internal);
  std::snprintf(id->internal, sizeof id->internal, "emulated-nccl %ld %ld", (long)getpid(), ++ids);
  return ncclSuccess;
}

FAKE_NCCL_API ncclResult_t ncclCommInitRankConfig(Comm** comm, int nranks, ncclUniqueId id, int rank, ncclConfig* config) {
  if (comm == nullptr || nranks < 1 || rank < 0 || rank >= nranks || config == nullptr || config->blocking != 0)
    return failed(ncclInvalidArgument, "the emulated NCCL makes non-blocking communicators of valid ranks only");
  long pid = -1, serial = -1;
  id.internal[sizeof id.internal - 1] = 0;
  if (std::sscanf(id.internal, "emulated-nccl %ld %ld", &pid, &serial) != 2)
    return failed(ncclInvalidArgument, "not an id of the emulated NCCL");
  if (pid != (long)getpid())
    return failed(ncclInvalidUsage, "this id was made by process " + std::to_string(pid) + ", this is "
                                        + std::to_string((long)getpid())
                                        + ": the emulated NCCL's ranks are threads of one process (ranks in several "
                                          "processes need a real NCCL on a GPU)");
  std::lock_guard<std::mutex> lock(mutex);
  auto& g = groups[std::string(id.internal)];
  if (!g) {
    g = std::make_unique<Group>();
    g->nranks = nranks;
  }
  if (g->nranks != nranks) return failed(ncclInvalidUsage, "ranks of one id disagree on the number of ranks");
  ++g->joined;
  comms.push_back(std::make_unique<Comm>());
  Comm* c = comms.back().get();
  c->group = g.get();
  c->rank = rank;
  *comm = c;
  return ncclInProgress;
}

FAKE_NCCL_API ncclResult_t ncclCommGetAsyncError(Comm* c, ncclResult_t* state) {
  if (c == nullptr || state == nullptr) return failed(ncclInvalidArgument, "NULL argument");
  std::lock_guard<std::mutex> lock(mutex);
  *state = c->async_error != ncclSuccess ? c->async_error : c->group->joined < c->group->nranks ? ncclInProgress : ncclSuccess;
  return ncclSuccess;
}

FAKE_NCCL_API ncclResult_t ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, Comm* c, void* stream) {
  if (send != recv) return failed(ncclInvalidArgument, "the emulated NCCL reduces in place only");
  if (op != 0) return failed(ncclInvalidArgument, "the emulated NCCL sums only");
  return enqueue(0, recv, count, type, 0, c, stream);
}

FAKE_NCCL_API ncclResult_t ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, Comm* c, void* stream) {
  if (send != recv) return failed(ncclInvalidArgument, "the emulated NCCL broadcasts in place only");
  return enqueue(1, recv, count, type, root, c, stream);
}

FAKE_NCCL_API ncclResult_t ncclCommFinalize(Comm* c) {
  return c == nullptr ? failed(ncclInvalidArgument, "NULL communicator") : ncclSuccess;
}

FAKE_NCCL_API ncclResult_t ncclCommDestroy(Comm* c) {
  if (c == nullptr) return failed(ncclInvalidArgument, "NULL communicator");
  std::lock_guard<std::mutex> lock(mutex);
  c->aborted = true;
  changed.notify_all();
  return ncclSuccess;
}

FAKE_NCCL_API ncclResult_t ncclCommAbort(Comm* c) { return ncclCommDestroy(c); }

FAKE_NCCL_API const char* ncclGetErrorString(ncclResult_t r) {
  switch (r) {
    case ncclSuccess: return "no error";
    case ncclSystemError: return "unhandled system error";
    case ncclInvalidArgument: return "invalid argument";
    case ncclInvalidUsage: return "invalid usage";
    case ncclInProgress: return "operation in progress";
    default: return "emulated NCCL error";
  }
}

FAKE_NCCL_API const char* ncclGetLastError(Comm*) {
  static thread_local std::string copy;
  std::lock_guard<std::mutex> hold(last_mutex);
  copy = last;
  return copy.c_str();
}
