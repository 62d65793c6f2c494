// Events of the emulated CUDA device: a record is an operation on its stream, so the event
// holds "everything enqueued on the stream so far" (with the legacy stream's implicit ordering);
// cudaStreamWaitEvent makes a stream's next operation wait for it; queries and waits from the
// host see its completion and make later enqueues happen after it. An event recorded on a
// capturing stream holds that capture's dependency set instead: another stream waiting on it
// joins the capture (a fork), while the host may neither query nor wait on it
// (cudaErrorCapturedEvent, and the capture is invalidated), as CUDA 13 documents.
// Checked by kernels/dev/emu/tests/emu_streams_test.cpp and emu_capture_test.cpp.
#include <set>

#include "internal.h"

namespace emu {
namespace {
std::set<const CUevent_st*>& events() {
  static auto* e = new std::set<const CUevent_st*>();
  return *e;
}

CUevent_st* resolve(cudaEvent_t event, const char* api) {
  if (event == nullptr || !events().count(event)) {
    fail(cudaErrorInvalidResourceHandle, "%s: event %p is not a live event", api, (void*)event);
    return nullptr;
  }
  return event;
}

/** The host may not query or wait on an event last recorded in a capture. */
cudaError_t refuse_captured(const char* api, CUevent_st* e) {
  if (e->captured == 0) return cudaSuccess;
  for (Capture* c : captures())
    if (c->id == e->captured) invalidate(c, cudaErrorCapturedEvent);
  return fail(cudaErrorCapturedEvent, "%s: event %p was last recorded in a stream capture", api, (void*)e);
}
}  // namespace
}  // namespace emu

using namespace emu;

extern "C" cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, 0); }

extern "C" cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  Api api("cudaEventCreateWithFlags");
  if (cudaError_t e = api.faulted()) return e;
  if (event == nullptr) return fail(cudaErrorInvalidValue, "cudaEventCreateWithFlags: event is NULL");
  if ((flags & ~(unsigned)(cudaEventDisableTiming | cudaEventBlockingSync)) != 0)
    return fail(cudaErrorNotSupported, "cudaEventCreateWithFlags: flags 0x%x are not modelled", flags);
  auto* e = new CUevent_st();
  e->flags = flags;
  events().insert(e);
  *event = e;
  return cudaSuccess;
}

extern "C" cudaError_t cudaEventDestroy(cudaEvent_t event) {
  Api api("cudaEventDestroy");
  if (cudaError_t e = api.faulted()) return e;
  CUevent_st* e = resolve(event, api.name());
  if (e == nullptr) return cudaErrorInvalidResourceHandle;
  events().erase(e);
  delete e;  // pending records keep only their own time stamp
  return cudaSuccess;
}

extern "C" cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  Api api("cudaEventRecord");
  if (cudaError_t e = api.faulted()) return e;
  CUevent_st* e = resolve(event, api.name());
  if (e == nullptr) return cudaErrorInvalidResourceHandle;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr) return capture_event_record(api.name(), e, s);
  if (s->legacy)
    if (cudaError_t err = capture_hazard(api.name(), Hazard::LegacyStream)) return err;
  auto stamp = std::make_shared<double>(-1.0);
  if (cudaError_t err = enqueue_marker(api.name(), s, stamp, {}, nullptr)) return err;
  e->recorded = true;
  e->stream = s;
  e->seq = s->enqueued;
  e->vc = s->vc;
  e->completed_ms = stamp;
  e->captured = 0;
  e->capture_deps.clear();
  return cudaSuccess;
}

extern "C" cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  Api api("cudaStreamWaitEvent");
  if (cudaError_t e = api.faulted()) return e;
  CUevent_st* e = resolve(event, api.name());
  if (e == nullptr) return cudaErrorInvalidResourceHandle;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (flags != 0) return fail(cudaErrorNotSupported, "cudaStreamWaitEvent: flags 0x%x are not modelled", flags);
  if (e->captured != 0 || s->capture != nullptr) return capture_wait_event(api.name(), s, e);
  if (s->legacy)
    if (cudaError_t err = capture_hazard(api.name(), Hazard::LegacyStream)) return err;
  if (!e->recorded) return cudaSuccess;  // an event never recorded stands for no work
  return enqueue_marker(api.name(), s, nullptr, {{e->stream, e->seq}}, &e->vc);
}

extern "C" cudaError_t cudaEventQuery(cudaEvent_t event) {
  Api api("cudaEventQuery");
  if (cudaError_t err = api.faulted()) return err;
  CUevent_st* e = resolve(event, api.name());
  if (e == nullptr) return cudaErrorInvalidResourceHandle;
  if (cudaError_t err = refuse_captured(api.name(), e)) return err;
  if (cudaError_t err = capture_hazard(api.name(), Hazard::Unsafe)) return err;
  if (!e->recorded) return cudaSuccess;
  if (!done(e->stream, e->seq)) return fail(cudaErrorNotReady, "cudaEventQuery: the recorded work is pending");
  join(host_clock(), e->vc);
  return cudaSuccess;
}

extern "C" cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  Api api("cudaEventSynchronize");
  if (cudaError_t err = api.faulted()) return err;
  CUevent_st* e = resolve(event, api.name());
  if (e == nullptr) return cudaErrorInvalidResourceHandle;
  if (cudaError_t err = refuse_captured(api.name(), e)) return err;
  if (cudaError_t err = capture_hazard(api.name(), Hazard::Unsafe)) return err;
  if (!e->recorded) return cudaSuccess;
  CUstream_st* s = e->stream;
  const uint64_t seq = e->seq;
  const Clock vc = e->vc;
  wait_for(api.hold(), s, seq);  // the event may be destroyed meanwhile: use the copies
  join(host_clock(), vc);
  check_all_guards();
  return api.faulted();
}

extern "C" cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  Api api("cudaEventElapsedTime");
  if (cudaError_t err = api.faulted()) return err;
  CUevent_st* a = resolve(start, api.name());
  CUevent_st* b = resolve(end, api.name());
  if (a == nullptr || b == nullptr) return cudaErrorInvalidResourceHandle;
  if (ms == nullptr) return fail(cudaErrorInvalidValue, "cudaEventElapsedTime: ms is NULL");
  if ((a->flags | b->flags) & cudaEventDisableTiming)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was created with cudaEventDisableTiming");
  if (!a->recorded || !b->recorded || !done(a->stream, a->seq) || !done(b->stream, b->seq))
    return fail(cudaErrorNotReady, "cudaEventElapsedTime: an event has not completed");
  // host time between the two records: the emulator's time, not a GPU's
  *ms = (float)(*b->completed_ms - *a->completed_ms);
  return cudaSuccess;
}
