// Streams of the emulated CUDA device. Every stream, the legacy default stream included, has its
// own worker thread that runs the stream's operations in order, each once the operations it
// waits for (events, the legacy stream's implicit ordering) have completed: work really runs
// asynchronously to the host and to other streams, so a missing wait or synchronisation gives a
// wrong result or, found deterministically at enqueue time, a race (races.cpp). Legacy stream
// semantics: an operation on it waits for all earlier work of every blocking stream, and an
// operation on a blocking stream waits for all earlier work on it; non-blocking streams
// (cudaStreamNonBlocking) take no part. cudaStreamPerThread is not modelled and is refused.
// Host waits (stream, device) check every allocation's guards and make later enqueues happen
// after what they waited for. A host function (cudaLaunchHostFunc) runs on the stream's worker in
// stream order and the work after it starts when it returns, so one that blocks keeps its stream
// busy as a spinning GPU kernel does; captured, it is a host node run at every replay. As on a
// GPU it must not call the CUDA API (not checked), and its memory accesses are unknown to the race
// check. The fake NCCL (kernels/dev/emu/nccl/fake_nccl.cpp) runs its collectives this way.
// Checked by kernels/dev/emu/tests/emu_streams_test.cpp.
#include <chrono>
#include <set>

#include "internal.h"

namespace emu {
namespace {
struct Streams {
  std::vector<CUstream_st*> live;          // not yet destroyed, or destroyed with work left
  std::set<const CUstream_st*> handles;    // valid handles (live and not destroyed)
  std::vector<int> free_slots;
  std::vector<uint64_t> slot_clock;        // the last clock each slot gave out
  CUstream_st* legacy = nullptr;
};

Streams& state() {
  static Streams* s = new Streams();
  return *s;
}

int take_slot() {
  Streams& st = state();
  if (!st.free_slots.empty()) {
    const int slot = st.free_slots.back();
    st.free_slots.pop_back();
    return slot;
  }
  st.slot_clock.push_back(0);
  return (int)st.slot_clock.size() - 1;
}

bool all_done(const std::vector<std::pair<CUstream_st*, uint64_t>>& waits) {
  for (auto& w : waits)
    if (!done(w.first, w.second)) return false;
  return true;
}

void worker(CUstream_st* s) {
  std::unique_lock<std::mutex> hold(lock());
  for (;;) {
    changed().wait(hold, [&] { return !s->queue.empty() || s->destroyed; });
    if (s->queue.empty()) break;
    Op& op = s->queue.front();
    changed().wait(hold, [&] { return all_done(op.waits); });
    std::shared_ptr<Work> work = op.work;
    const bool skip = sticky() != cudaSuccess;  // a faulted device runs nothing more
    hold.unlock();
    if (!skip) work->run();
    hold.lock();
    s->completed = s->queue.front().seq;
    s->queue.pop_front();
    changed().notify_all();
  }
  // destroyed and drained: its slot goes to the next stream, its clock carried on
  Streams& st = state();
  st.slot_clock[(size_t)s->slot] = s->vc[(size_t)s->slot];
  st.free_slots.push_back(s->slot);
  for (size_t i = 0; i < st.live.size(); ++i)
    if (st.live[i] == s) {
      st.live.erase(st.live.begin() + (long)i);
      break;
    }
  changed().notify_all();
}

CUstream_st* create(unsigned flags, bool legacy) {
  auto* s = new CUstream_st();
  s->flags = flags;
  s->legacy = legacy;
  s->slot = take_slot();
  s->vc = host_clock();
  if (s->vc.size() <= (size_t)s->slot) s->vc.resize((size_t)s->slot + 1, 0);
  s->vc[(size_t)s->slot] = state().slot_clock[(size_t)s->slot];
  state().live.push_back(s);
  if (!legacy) state().handles.insert(s);
  std::thread(worker, s).detach();
  return s;
}

/** An operation that only orders: an event record, a wait, a synchronisation point. */
class Marker final : public Work {
 public:
  Marker(std::string name, std::shared_ptr<double> stamp) : name_(std::move(name)), stamp_(std::move(stamp)) {}
  void run() override {
    if (stamp_) *stamp_ = now_ms();
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::shared_ptr<double> stamp_;
};

/** A host function (cudaLaunchHostFunc), run on a stream or replayed by a graph. */
class HostWork final : public Work {
 public:
  HostWork(cudaHostFn_t fn, void* data) : fn_(fn), data_(data) {}
  void run() override { fn_(data_); }
  std::string name() const override { return format("host function %p", (void*)fn_); }

 private:
  cudaHostFn_t fn_;
  void* data_;
};

bool blocking(const CUstream_st* s) { return !s->legacy && (s->flags & cudaStreamNonBlocking) == 0; }
}  // namespace

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::vector<CUstream_st*>& streams() { return state().live; }

CUstream_st* legacy_stream() {
  if (state().legacy == nullptr) state().legacy = create(cudaStreamDefault, true);
  return state().legacy;
}

namespace {
thread_local cudaError_t resolve_failure = cudaSuccess;
}

cudaError_t stream_error() { return resolve_failure; }

CUstream_st* resolve_stream(cudaStream_t stream, const char* api) {
  if (stream == nullptr || stream == cudaStreamLegacy) return legacy_stream();
  if (stream == cudaStreamPerThread) {
    resolve_failure = fail(cudaErrorNotSupported, "%s: cudaStreamPerThread is not modelled by the emulated runtime", api);
    return nullptr;
  }
  if (!state().handles.count(stream)) {
    resolve_failure = fail(cudaErrorInvalidResourceHandle, "%s: stream %p is not a live stream (destroyed?)", api,
                           (void*)stream);
    return nullptr;
  }
  return stream;
}

bool done(CUstream_st* s, uint64_t seq) { return s->completed >= seq; }

void wait_for(std::unique_lock<std::mutex>& hold, CUstream_st* s, uint64_t seq) {
  changed().wait(hold, [&] { return done(s, seq); });
}

void join(Clock& into, const Clock& other) {
  if (into.size() < other.size()) into.resize(other.size(), 0);
  for (size_t i = 0; i < other.size(); ++i)
    if (other[i] > into[i]) into[i] = other[i];
}

Clock& host_clock() {
  static Clock* c = new Clock();
  return *c;
}

cudaError_t enqueue(const char* api, CUstream_st* s, std::shared_ptr<Work> work,
                    std::vector<std::pair<CUstream_st*, uint64_t>> extra_waits, const Clock* extra_vc) {
  Op op;
  op.waits = std::move(extra_waits);
  Clock vc = s->vc;
  join(vc, host_clock());
  if (extra_vc) join(vc, *extra_vc);
  if (s->legacy) {
    for (CUstream_st* t : streams())
      if (blocking(t) && t->capture == nullptr) {
        op.waits.push_back({t, t->enqueued});
        join(vc, t->vc);
      }
  } else if (blocking(s)) {
    CUstream_st* legacy = legacy_stream();
    op.waits.push_back({legacy, legacy->enqueued});
    join(vc, legacy->vc);
  }
  if (vc.size() <= (size_t)s->slot) vc.resize((size_t)s->slot + 1, 0);
  const uint64_t clock = vc[(size_t)s->slot] + 1;
  std::vector<Access> accesses;
  work->accesses(&accesses);
  const std::string name = work->name();
  if (!check_races(api, name, s->slot, vc, clock, accesses)) return cudaErrorIllegalState;
  for (const Access& a : accesses)
    if (a.write && a.alloc->writers[0] != name) {
      a.alloc->writers[1] = a.alloc->writers[0];
      a.alloc->writers[0] = name;
    }
  vc[(size_t)s->slot] = clock;
  s->vc = std::move(vc);
  op.seq = ++s->enqueued;
  op.work = std::move(work);
  s->queue.push_back(std::move(op));
  changed().notify_all();
  return cudaSuccess;
}

/** Enqueues a marker on s (recording its completion time when stamp is set). */
cudaError_t enqueue_marker(const char* api, CUstream_st* s, std::shared_ptr<double> stamp,
                           std::vector<std::pair<CUstream_st*, uint64_t>> waits, const Clock* vc) {
  return enqueue(api, s, std::make_shared<Marker>(api, std::move(stamp)), std::move(waits), vc);
}

/** Host waits for all work enqueued so far on s (for the legacy stream: with its implicit ordering). */
cudaError_t host_wait(Api& api, CUstream_st* s) {
  if (s->legacy)
    if (cudaError_t e = enqueue_marker(api.name(), s, nullptr, {}, nullptr)) return e;
  wait_for(api.hold(), s, s->enqueued);
  join(host_clock(), s->vc);
  check_all_guards();
  return api.faulted();
}
}  // namespace emu

using namespace emu;

extern "C" cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, 0); }

extern "C" cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  Api api("cudaStreamCreateWithFlags");
  if (cudaError_t e = api.faulted()) return e;
  if (stream == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: stream is NULL");
  if ((flags & ~(unsigned)cudaStreamNonBlocking) != 0)
    return fail(cudaErrorNotSupported, "cudaStreamCreateWithFlags: flags 0x%x are not modelled", flags);
  *stream = create(flags, false);
  return cudaSuccess;
}

extern "C" cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  Api api("cudaStreamDestroy");
  if (cudaError_t e = api.faulted()) return e;
  if (stream == nullptr || stream == cudaStreamLegacy)
    return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: the legacy default stream cannot be destroyed");
  CUstream_st* s = resolve_stream(stream, "cudaStreamDestroy");
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr) {
    invalidate(s->capture, cudaErrorStreamCaptureUnsupported);
    return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamDestroy: stream %p is capturing", (void*)s);
  }
  // as on a GPU: returns at once; the worker finishes the stream's work, then ends
  state().handles.erase(s);
  s->destroyed = true;
  changed().notify_all();
  return cudaSuccess;
}

extern "C" cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  Api api("cudaStreamSynchronize");
  if (cudaError_t e = api.faulted()) return e;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr) {
    invalidate(s->capture, cudaErrorStreamCaptureUnsupported);
    return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamSynchronize: stream %p is capturing (the capture is "
                "now invalid)", (void*)s);
  }
  if (s->legacy)
    if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  if (cudaError_t e = capture_hazard(api.name(), Hazard::Unsafe)) return e;
  return host_wait(api, s);
}

extern "C" cudaError_t cudaStreamQuery(cudaStream_t stream) {
  Api api("cudaStreamQuery");
  if (cudaError_t e = api.faulted()) return e;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr) {
    invalidate(s->capture, cudaErrorStreamCaptureUnsupported);
    return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamQuery: stream %p is capturing", (void*)s);
  }
  if (s->legacy)
    if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  if (cudaError_t e = capture_hazard(api.name(), Hazard::Unsafe)) return e;
  if (!done(s, s->enqueued)) return fail(cudaErrorNotReady, "cudaStreamQuery: work is pending");
  join(host_clock(), s->vc);
  return cudaSuccess;
}

extern "C" cudaError_t cudaDeviceSynchronize(void) {
  Api api("cudaDeviceSynchronize");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = capture_hazard(api.name(), Hazard::DeviceSync)) return e;
  device_wait(api.hold());
  check_all_guards();
  return api.faulted();
}

extern "C" cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* userData) {
  Api api("cudaLaunchHostFunc");
  if (cudaError_t e = api.faulted()) return e;
  if (fn == nullptr) return fail(cudaErrorInvalidValue, "cudaLaunchHostFunc: fn is NULL");
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  auto work = std::make_shared<HostWork>(fn, userData);
  if (s->capture != nullptr) return capture_work(api.name(), s, cudaGraphNodeTypeHost, nullptr, std::move(work));
  if (s->legacy)
    if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  return enqueue(api.name(), s, std::move(work));
}
