// NCCL collectives between CUDA ranks (API and semantics: native/include/pvll_cuda_nccl.h).
//
// libnccl.so.2 is opened with dlopen on first use and its functions found with dlsym, so this
// library neither links NCCL nor needs nccl.h: the few types below are NCCL 2's ABI (enum values
// and struct layouts as in nccl.h since 2.14, and as the JavaCPP CUDA presets carry them for
// 2.29). Communicators are made in non-blocking mode (ncclConfig_t.blocking = 0, the v2.14
// layout: NCCL copies `size` bytes of it and defaults the rest), so that every host-side wait is
// a poll of ncclCommGetAsyncError with a deadline; a collective that returns ncclInProgress is
// polled the same way before the next call, as NCCL requires. The collectives themselves are
// enqueued on the op's stream only. No kernels of our own: nothing here is nondeterministic
// beyond NCCL's reduction order. Build: part of libpvll_cuda.so (CMake globs kernels/*.cu). On a
// GPU it needs libnccl.so.2 (benchmarks/device/nccl-check.sh runs it on a lent one); on the
// emulated device it loads the emulated NCCL, whose ranks are threads (kernels/dev/emu/nccl;
// checked by kernels/dev/emu/tests/check_nccl.cpp and NcclCommunicatorCudaTest).
#include <dlfcn.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>

#include "cuda_check.cuh"
#include "pvll_collectives.h"
#include "pvll_cuda_nccl.h"

namespace {
// ---- NCCL 2's ABI, declared here (nccl.h is not needed to build)
typedef struct ncclComm* ncclComm_t;
struct ncclUniqueId {
  char internal[PVLL_NCCL_ID_BYTES];
};
typedef int ncclResult_t;
constexpr ncclResult_t ncclSuccess = 0, ncclInProgress = 7;
typedef int ncclDataType_t;
constexpr ncclDataType_t ncclUint8 = 1, ncclFloat32 = 7, ncclFloat64 = 8;
typedef int ncclRedOp_t;
constexpr ncclRedOp_t ncclSum = 0;
/** ncclConfig_t as of NCCL 2.14 (ncclConfig_v21400); later versions append fields. */
struct ncclConfigV21400 {
  size_t size;
  unsigned int magic;
  unsigned int version;
  int blocking;
};
constexpr unsigned int kNcclConfigMagic = 0xcafebeef;
constexpr unsigned int kNcclConfigVersion = 21400;  // NCCL_VERSION(2, 14, 0)

struct Nccl {
  void* library = nullptr;
  std::string load_error;
  ncclResult_t (*GetVersion)(int*) = nullptr;
  ncclResult_t (*GetUniqueId)(ncclUniqueId*) = nullptr;
  ncclResult_t (*CommInitRankConfig)(ncclComm_t*, int, ncclUniqueId, int, ncclConfigV21400*) = nullptr;
  ncclResult_t (*CommGetAsyncError)(ncclComm_t, ncclResult_t*) = nullptr;
  ncclResult_t (*AllReduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*Broadcast)(const void*, void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*CommFinalize)(ncclComm_t) = nullptr;
  ncclResult_t (*CommDestroy)(ncclComm_t) = nullptr;
  ncclResult_t (*CommAbort)(ncclComm_t) = nullptr;
  const char* (*GetErrorString)(ncclResult_t) = nullptr;
  const char* (*GetLastError)(ncclComm_t) = nullptr;  // NCCL >= 2.13; may be missing
};

template <class F>
bool find(void* library, const char* name, F** out, std::string* missing) {
  *out = reinterpret_cast<F*>(dlsym(library, name));
  if (*out == nullptr) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *out != nullptr;
}

Nccl& nccl() {
  static Nccl* instance = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    auto* n = new Nccl();  // never closed: communicators may outlive any owner
    for (const char* name : {"libnccl.so.2", "libnccl.so"}) {
      n->library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (n->library) break;
      const char* why = dlerror();
      if (n->load_error.empty()) n->load_error = why ? why : "unknown dlopen error";
    }
    if (n->library) {
      std::string missing;
      find(n->library, "ncclGetVersion", &n->GetVersion, &missing);
      find(n->library, "ncclGetUniqueId", &n->GetUniqueId, &missing);
      find(n->library, "ncclCommInitRankConfig", &n->CommInitRankConfig, &missing);
      find(n->library, "ncclCommGetAsyncError", &n->CommGetAsyncError, &missing);
      find(n->library, "ncclAllReduce", &n->AllReduce, &missing);
      find(n->library, "ncclBroadcast", &n->Broadcast, &missing);
      find(n->library, "ncclCommFinalize", &n->CommFinalize, &missing);
      find(n->library, "ncclCommDestroy", &n->CommDestroy, &missing);
      find(n->library, "ncclCommAbort", &n->CommAbort, &missing);
      find(n->library, "ncclGetErrorString", &n->GetErrorString, &missing);
      std::string optional;
      find(n->library, "ncclGetLastError", &n->GetLastError, &optional);
      if (!missing.empty()) {
        n->load_error = "libnccl lacks " + missing + " (pvll needs NCCL 2.14 or newer)";
        n->library = nullptr;
      }
    }
    instance = n;
  });
  return *instance;
}

int require_nccl(const char* op) {
  Nccl& n = nccl();
  if (n.library) return PVLL_OK;
  return pvll_cuda::fail(PVLL_ERR_UNAVAILABLE,
                         "%s: NCCL is not available: %s (install NCCL 2.14+, e.g. Debian's libnccl2 or pip's "
                         "nvidia-nccl-cu13, and put libnccl.so.2 on LD_LIBRARY_PATH)",
                         op, n.load_error.c_str());
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/** One rank's communicator and its state. */
struct Communicator {
  ncclComm_t comm = nullptr;
  int device = 0, nranks = 0, rank = 0;
  double timeout = PVLL_COLL_DEFAULT_TIMEOUT_SECONDS;
  bool aborted = false;
  std::string broken;  // the first failure; empty while healthy
};

int broken_status(Communicator* c, const char* op) {
  return pvll_cuda::fail(PVLL_ERR_COLLECTIVE, "%s: the NCCL communicator is unusable after an earlier failure: %s", op,
                         c->broken.c_str());
}

/** Records the message just set as the communicator's failure, aborts it, returns status. */
int break_communicator(Communicator* c, int status, const char* message) {
  if (c->broken.empty()) c->broken = message;
  if (!c->aborted && c->comm) {
    nccl().CommAbort(c->comm);
    c->aborted = true;
  }
  return status;
}

int nccl_failed(Communicator* c, const char* op, const char* call, ncclResult_t r) {
  // NCCL's last error needs no communicator (its argument is unused): also a failed init's reason
  const char* detail = nccl().GetLastError ? nccl().GetLastError(c ? c->comm : nullptr) : nullptr;
  pvll_cuda::fail(PVLL_ERR_COLLECTIVE, "%s: %s failed on rank %d of %d: %s%s%s", op, call, c ? c->rank : -1,
                  c ? c->nranks : -1, nccl().GetErrorString(r), detail && *detail ? ": " : "", detail ? detail : "");
  return c ? break_communicator(c, PVLL_ERR_COLLECTIVE, pvll_cuda_last_error()) : PVLL_ERR_COLLECTIVE;
}

/** Polls the communicator until its last call is no longer in progress, within the timeout. */
int settle(Communicator* c, const char* op, const char* what, ncclResult_t result) {
  if (result != ncclSuccess && result != ncclInProgress) return nccl_failed(c, op, what, result);
  const Clock::time_point start = Clock::now();
  while (result == ncclInProgress) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t r = nccl().CommGetAsyncError(c->comm, &state);
    if (r != ncclSuccess) return nccl_failed(c, op, "ncclCommGetAsyncError", r);
    if (state != ncclSuccess && state != ncclInProgress) return nccl_failed(c, op, what, state);
    result = state;
    if (result == ncclInProgress) {
      if (seconds_since(start) >= c->timeout) {
        pvll_cuda::fail(PVLL_ERR_COLLECTIVE,
                        "%s: %s on rank %d of %d did not complete within the timeout of %.1f s (waited %.1f s): another "
                        "rank has probably died; the communicator was aborted",
                        op, what, c->rank, c->nranks, c->timeout, seconds_since(start));
        return break_communicator(c, PVLL_ERR_COLLECTIVE, pvll_cuda_last_error());
      }
      sched_yield();
    }
  }
  return PVLL_OK;
}

int usable(Communicator* c, const char* op) {
  CUDA_REQUIRE(c != nullptr, "%s: NULL communicator", op);
  if (int s = require_nccl(op)) return s;
  if (!c->broken.empty()) return broken_status(c, op);
  CUDA_CHECK(op, cudaSetDevice(c->device));
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_cuda_nccl_version(int* version) {
  const char* op = "pvll_cuda_nccl_version";
  CUDA_REQUIRE(version, "%s: NULL argument", op);
  *version = 0;
  if (int s = require_nccl(op)) return s;
  const ncclResult_t r = nccl().GetVersion(version);
  if (r != ncclSuccess) return nccl_failed(nullptr, op, "ncclGetVersion", r);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_nccl_unique_id(char* id) {
  const char* op = "pvll_cuda_nccl_unique_id";
  CUDA_REQUIRE(id, "%s: NULL argument", op);
  if (int s = require_nccl(op)) return s;
  ncclUniqueId unique;
  const ncclResult_t r = nccl().GetUniqueId(&unique);
  if (r != ncclSuccess) return nccl_failed(nullptr, op, "ncclGetUniqueId", r);
  std::memcpy(id, unique.internal, PVLL_NCCL_ID_BYTES);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_nccl_init(int device, int nranks, int rank, const char* id, double timeout_seconds,
                                 void** comm) {
  const char* op = "pvll_cuda_nccl_init";
  CUDA_REQUIRE(comm && id && device >= 0 && nranks > 0 && rank >= 0 && rank < nranks,
               "%s: bad arguments (device %d, rank %d of %d)", op, device, rank, nranks);
  *comm = nullptr;
  if (int s = require_nccl(op)) return s;
  CUDA_CHECK(op, cudaSetDevice(device));
  auto* c = new Communicator();
  c->device = device;
  c->nranks = nranks;
  c->rank = rank;
  c->timeout = timeout_seconds > 0 ? timeout_seconds : PVLL_COLL_DEFAULT_TIMEOUT_SECONDS;
  ncclUniqueId unique;
  std::memcpy(unique.internal, id, PVLL_NCCL_ID_BYTES);
  ncclConfigV21400 config{sizeof(ncclConfigV21400), kNcclConfigMagic, kNcclConfigVersion, 0};
  const ncclResult_t r = nccl().CommInitRankConfig(&c->comm, nranks, unique, rank, &config);
  if (r != ncclSuccess && r != ncclInProgress && c->comm == nullptr) {
    nccl_failed(c, op, "ncclCommInitRankConfig", r);
    delete c;
    return PVLL_ERR_COLLECTIVE;
  }
  if (int s = settle(c, op, "ncclCommInitRankConfig", r)) {
    delete c;  // settle aborted the half-made communicator, which frees it
    return s;
  }
  *comm = c;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_nccl_all_reduce_sum(void* comm, void* buffer, int64_t count, int is_double, void* stream) {
  const char* op = "pvll_cuda_nccl_all_reduce_sum";
  auto* c = static_cast<Communicator*>(comm);
  CUDA_REQUIRE(count >= 0 && (buffer || count == 0), "%s: bad arguments (buffer %p, count %lld)", op, buffer,
               (long long)count);
  if (int s = usable(c, op)) return s;
  if (count == 0) return PVLL_OK;
  const ncclResult_t r = nccl().AllReduce(buffer, buffer, (size_t)count, is_double ? ncclFloat64 : ncclFloat32, ncclSum,
                                          c->comm, pvll_cuda::stream_of(stream));
  return settle(c, op, "ncclAllReduce", r);
}

PVLL_API int pvll_cuda_nccl_broadcast(void* comm, void* buffer, int64_t bytes, int root, void* stream) {
  const char* op = "pvll_cuda_nccl_broadcast";
  auto* c = static_cast<Communicator*>(comm);
  CUDA_REQUIRE(bytes >= 0 && (buffer || bytes == 0), "%s: bad arguments (buffer %p, bytes %lld)", op, buffer,
               (long long)bytes);
  if (int s = usable(c, op)) return s;
  CUDA_REQUIRE(root >= 0 && root < c->nranks, "%s: root %d is not a rank of %d", op, root, c->nranks);
  if (bytes == 0) return PVLL_OK;
  const ncclResult_t r =
      nccl().Broadcast(buffer, buffer, (size_t)bytes, ncclUint8, root, c->comm, pvll_cuda::stream_of(stream));
  return settle(c, op, "ncclBroadcast", r);
}

PVLL_API int pvll_cuda_nccl_wait(void* comm, void* stream, double timeout_seconds) {
  const char* op = "pvll_cuda_nccl_wait";
  auto* c = static_cast<Communicator*>(comm);
  if (int s = usable(c, op)) return s;
  const double timeout = timeout_seconds > 0 ? timeout_seconds : c->timeout;
  const cudaStream_t st = pvll_cuda::stream_of(stream);
  const Clock::time_point start = Clock::now();
  for (;;) {
    const cudaError_t q = cudaStreamQuery(st);
    if (q == cudaErrorNotReady) (void)cudaGetLastError();  // "not ready" is the thread's last error: the next launch check would report it
    else if (q != cudaSuccess) {
      pvll_cuda::fail(PVLL_ERR_CUDA, "%s: cudaStreamQuery failed: %s (%s)", op, cudaGetErrorString(q), cudaGetErrorName(q));
      return break_communicator(c, PVLL_ERR_CUDA, pvll_cuda_last_error());
    }
    // also once the stream is done: a collective that failed asynchronously may have ended without its result
    ncclResult_t state = ncclSuccess;
    const ncclResult_t r = nccl().CommGetAsyncError(c->comm, &state);
    if (r != ncclSuccess) return nccl_failed(c, op, "ncclCommGetAsyncError", r);
    if (state != ncclSuccess && state != ncclInProgress) return nccl_failed(c, op, "an enqueued collective", state);
    if (q == cudaSuccess) return PVLL_OK;
    if (seconds_since(start) >= timeout) {
      pvll_cuda::fail(PVLL_ERR_COLLECTIVE,
                      "%s: the stream's collectives on rank %d of %d did not complete within the timeout of %.1f s "
                      "(waited %.1f s): another rank has probably died; the communicator was aborted",
                      op, c->rank, c->nranks, timeout, seconds_since(start));
      return break_communicator(c, PVLL_ERR_COLLECTIVE, pvll_cuda_last_error());
    }
    sched_yield();
  }
}

PVLL_API int pvll_cuda_nccl_abort(void* comm) {
  const char* op = "pvll_cuda_nccl_abort";
  auto* c = static_cast<Communicator*>(comm);
  CUDA_REQUIRE(c != nullptr, "%s: NULL communicator", op);
  if (int s = require_nccl(op)) return s;
  pvll_cuda::fail(PVLL_ERR_COLLECTIVE, "%s: aborted by this process", op);
  break_communicator(c, PVLL_ERR_COLLECTIVE, pvll_cuda_last_error());
  return PVLL_OK;
}

PVLL_API int pvll_cuda_nccl_destroy(void* comm) {
  const char* op = "pvll_cuda_nccl_destroy";
  auto* c = static_cast<Communicator*>(comm);
  if (c == nullptr) return PVLL_OK;
  if (int s = require_nccl(op)) return s;
  int status = PVLL_OK;
  if (c->broken.empty()) {
    cudaSetDevice(c->device);
    status = settle(c, op, "ncclCommFinalize", nccl().CommFinalize(c->comm));  // aborts on timeout
  }
  const ncclResult_t r = c->aborted ? ncclSuccess : nccl().CommDestroy(c->comm);  // an abort freed it already
  if (status == PVLL_OK && r != ncclSuccess && r != ncclInProgress) {
    pvll_cuda::fail(PVLL_ERR_COLLECTIVE, "%s: ncclCommDestroy failed: %s", op, nccl().GetErrorString(r));
    status = PVLL_ERR_COLLECTIVE;
  }
  delete c;
  return status;
}
