// A stand-in for libnccl.so.2 in the host emulation (check.sh builds it under that name): the
// ranks are threads of one process, "device memory" is host memory, and the NCCL 2 ABI subset
// kernels/nccl.cu calls behaves as NCCL documents it for non-blocking communicators:
// ncclCommInitRankConfig returns ncclInProgress until every rank of the id has joined;
// ncclAllReduce and ncclBroadcast return at once (enqueued on the stream), and the stream stays
// busy (fake_nccl_stream_busy, behind the emulated cudaStreamQuery) until every rank has
// enqueued its part, when the last one computes the result; ncclCommAbort drops the pending
// work. A rank that never calls leaves the others' streams busy for ever: what nccl.cu's
// deadlines are for. Not NCCL: no transport, no ordering beyond per-communicator sequence numbers.
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {
typedef int ncclResult_t;
constexpr ncclResult_t ncclSuccess = 0, ncclInvalidArgument = 4, ncclInvalidUsage = 5, ncclInProgress = 7;
constexpr int ncclUint8 = 1, ncclFloat32 = 7, ncclFloat64 = 8;

struct Group;

struct Comm {
  Group* group;
  int rank;
  bool aborted = false;
  long sequence = 0;  // collectives this rank has enqueued
};

/** One collective: each rank's buffer and stream, the result written when the last arrives. */
struct Op {
  int kind = 0;  // 0 all-reduce, 1 broadcast
  size_t count = 0;
  int type = 0, root = 0;
  std::vector<void*> buffers;
  std::vector<void*> streams;
  int arrived = 0;
  bool done = false;
};

struct Group {
  int nranks = 0;
  int joined = 0;
  std::map<long, Op> ops;  // by sequence number
};

std::mutex mutex;
std::map<std::string, std::unique_ptr<Group>> groups;  // by unique id
long ids = 0;
thread_local std::string last;

void finish(Op& op) {
  const size_t size = op.type == ncclFloat64 ? 8 : op.type == ncclFloat32 ? 4 : 1;
  if (op.kind == 1) {
    for (size_t r = 0; r < op.buffers.size(); ++r)
      if ((int)r != op.root) std::memcpy(op.buffers[r], op.buffers[op.root], op.count * size);
  } else if (op.type == ncclFloat64) {
    std::vector<double> sum(op.count, 0.0);
    for (void* b : op.buffers) for (size_t i = 0; i < op.count; ++i) sum[i] += static_cast<double*>(b)[i];
    for (void* b : op.buffers) std::memcpy(b, sum.data(), op.count * 8);
  } else {
    std::vector<float> sum(op.count, 0.f);
    for (void* b : op.buffers) for (size_t i = 0; i < op.count; ++i) sum[i] += static_cast<float*>(b)[i];
    for (void* b : op.buffers) std::memcpy(b, sum.data(), op.count * 4);
  }
  op.done = true;
}

ncclResult_t enqueue(int kind, void* buffer, size_t count, int type, int root, Comm* c, void* stream) {
  std::lock_guard<std::mutex> lock(mutex);
  if (c == nullptr || c->aborted) {
    last = "communicator aborted";
    return ncclInvalidUsage;
  }
  Group* g = c->group;
  Op& op = g->ops[c->sequence++];
  if (op.buffers.empty()) {
    op.kind = kind, op.count = count, op.type = type, op.root = root;
    op.buffers.assign(g->nranks, nullptr);
    op.streams.assign(g->nranks, nullptr);
  } else if (op.kind != kind || op.count != count || op.type != type) {
    last = "ranks called different collectives";
    return ncclInvalidUsage;
  }
  op.buffers[c->rank] = buffer;
  op.streams[c->rank] = stream;
  if (++op.arrived == g->nranks) finish(op);
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

ncclResult_t ncclGetVersion(int* v) {
  *v = 22903;
  return ncclSuccess;
}

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  std::lock_guard<std::mutex> lock(mutex);
  std::memset(id->internal, 0, sizeof id->internal);
  std::snprintf(id->internal, sizeof id->internal, "fake-nccl-%ld", ++ids);
  return ncclSuccess;
}

ncclResult_t ncclCommInitRankConfig(Comm** comm, int nranks, ncclUniqueId id, int rank, ncclConfig* config) {
  if (nranks < 1 || rank < 0 || rank >= nranks || config == nullptr || config->blocking != 0) {
    last = "the fake NCCL only does non-blocking communicators of valid ranks";
    return ncclInvalidArgument;
  }
  std::lock_guard<std::mutex> lock(mutex);
  auto& g = groups[std::string(id.internal)];
  if (!g) {
    g = std::make_unique<Group>();
    g->nranks = nranks;
  }
  ++g->joined;
  *comm = new Comm{g.get(), rank};
  return ncclInProgress;
}

ncclResult_t ncclCommGetAsyncError(Comm* c, ncclResult_t* state) {
  std::lock_guard<std::mutex> lock(mutex);
  *state = c->group->joined < c->group->nranks ? ncclInProgress : ncclSuccess;
  return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void*, void* recv, size_t count, int type, int /*sum*/, Comm* c, void* stream) {
  return enqueue(0, recv, count, type, 0, c, stream);
}

ncclResult_t ncclBroadcast(const void*, void* recv, size_t count, int type, int root, Comm* c, void* stream) {
  return enqueue(1, recv, count, type, root, c, stream);
}

ncclResult_t ncclCommFinalize(Comm*) { return ncclSuccess; }

ncclResult_t ncclCommDestroy(Comm* c) {
  std::lock_guard<std::mutex> lock(mutex);
  c->aborted = true;  // kept: other ranks' pending ops may still name its buffers
  return ncclSuccess;
}

ncclResult_t ncclCommAbort(Comm* c) {
  std::lock_guard<std::mutex> lock(mutex);
  c->aborted = true;
  for (auto& [seq, op] : c->group->ops)
    if (!op.done && op.streams[c->rank] != nullptr) op.streams[c->rank] = nullptr;  // its stream is free again
  return ncclSuccess;
}

const char* ncclGetErrorString(ncclResult_t r) {
  return r == ncclSuccess ? "no error" : r == ncclInProgress ? "operation in progress" : "fake NCCL error";
}

const char* ncclGetLastError(Comm*) { return last.c_str(); }

/** Whether a collective enqueued on stream still waits for another rank. */
int fake_nccl_stream_busy(void* stream) {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto& [id, g] : groups)
    for (auto& [seq, op] : g->ops)
      if (!op.done)
        for (void* s : op.streams)
          if (s == stream) return 1;
  return 0;
}
}
