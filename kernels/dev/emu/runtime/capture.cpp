// Stream capture on the emulated device, as CUDA 13 documents it. Work on a capturing stream
// becomes graph nodes that depend on the stream's dependency set instead of running; an event
// recorded there holds that set, and a stream that waits on it joins the capture (a fork) until
// cudaStreamEndCapture, which must come on the origin stream (cudaErrorStreamCaptureUnmatched) and
// finds every fork joined back (cudaErrorStreamCaptureUnjoined). cudaStreamBeginCaptureToGraph
// captures into an existing graph (a conditional node's body). Modes: in global and thread-local
// mode the potentially unsafe calls (cudaMalloc, cudaHostAlloc, synchronous copies, queries and
// synchronisations) are prohibited on the capturing thread, and in global mode on every thread
// whose own mode is global, with cudaErrorStreamCaptureUnsupported; relaxed mode lifts that. In any
// mode: synchronising or querying a capturing stream, synchronising the device or calling cudaFree
// or cudaFreeHost (which may synchronise it) while a capture is open on it (900); work on the legacy
// stream while a blocking stream captures (cudaErrorStreamCaptureImplicit); a wait on work
// outside the capture (cudaErrorStreamCaptureIsolation) or of another capture
// (cudaErrorStreamCaptureMerge); a host query of or wait on an event recorded in a capture
// (cudaErrorCapturedEvent, events.cpp). Each of these invalidates the capture: its streams' later
// work fails with cudaErrorStreamCaptureInvalidated and cudaStreamEndCapture returns no graph.
// Checked by kernels/dev/emu/tests/emu_capture_test.cpp.
#include <algorithm>
#include <set>

#include "internal.h"

namespace emu {
namespace {
thread_local cudaStreamCaptureMode thread_mode = cudaStreamCaptureModeGlobal;
unsigned long long next_capture_id = 0;

const char* mode_name(cudaStreamCaptureMode m) {
  return m == cudaStreamCaptureModeGlobal ? "global" : (m == cudaStreamCaptureModeThreadLocal ? "thread-local" : "relaxed");
}

Capture* find_capture(unsigned long long id) {
  for (Capture* c : captures())
    if (c->id == id) return c;
  return nullptr;
}

bool has_blocking_stream(const Capture* c) {
  for (const CUstream_st* s : c->streams)
    if (!s->legacy && (s->flags & cudaStreamNonBlocking) == 0) return true;
  return false;
}

/** Takes every stream of c out of capture mode and forgets c (its graph is the caller's). */
void end(Capture* c) {
  for (CUstream_st* s : c->streams) {
    s->capture = nullptr;
    s->capture_deps.clear();
  }
  if (c->graph) c->graph->capturing = nullptr;
  auto& all = captures();
  all.erase(std::remove(all.begin(), all.end(), c), all.end());
  delete c;
}

cudaError_t check_active(const char* api, CUstream_st* s) {
  if (s->capture->invalidated != cudaSuccess)
    return fail(cudaErrorStreamCaptureInvalidated, "%s: capture %llu on this stream was invalidated earlier (%s)", api,
                s->capture->id, cudaGetErrorName(s->capture->invalidated));
  return cudaSuccess;
}

void add_deps(std::vector<CUgraphNode_st*>& into, const std::vector<CUgraphNode_st*>& more) {
  for (CUgraphNode_st* n : more)
    if (std::find(into.begin(), into.end(), n) == into.end()) into.push_back(n);
}

/** Every node that deps depend on, and deps themselves. */
std::set<const CUgraphNode_st*> ancestors(const std::vector<CUgraphNode_st*>& deps) {
  std::set<const CUgraphNode_st*> seen;
  std::vector<const CUgraphNode_st*> todo(deps.begin(), deps.end());
  while (!todo.empty()) {
    const CUgraphNode_st* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    for (const CUgraphNode_st* d : n->deps) todo.push_back(d);
  }
  return seen;
}

cudaError_t begin(const char* api, cudaStream_t stream, CUgraph_st* graph, bool into_existing,
                  const std::vector<CUgraphNode_st*>& deps, cudaStreamCaptureMode mode) {
  CUstream_st* s = resolve_stream(stream, api);
  if (s == nullptr) return stream_error();
  if (s->legacy) return fail(cudaErrorStreamCaptureImplicit, "%s: the legacy default stream cannot capture", api);
  if (s->capture != nullptr) return fail(cudaErrorIllegalState, "%s: stream %p is already capturing", api, (void*)s);
  if (mode != cudaStreamCaptureModeGlobal && mode != cudaStreamCaptureModeThreadLocal &&
      mode != cudaStreamCaptureModeRelaxed)
    return fail(cudaErrorInvalidValue, "%s: capture mode %d", api, (int)mode);
  auto* c = new Capture();
  c->id = ++next_capture_id;
  c->graph = graph;
  c->into_existing = into_existing;
  c->mode = mode;
  c->thread = std::this_thread::get_id();
  c->origin = s;
  c->streams.push_back(s);
  graph->capturing = c;
  captures().push_back(c);
  s->capture = c;
  s->capture_deps = deps;
  return cudaSuccess;
}
}  // namespace

std::vector<Capture*>& captures() {
  static auto* c = new std::vector<Capture*>();
  return *c;
}

void invalidate(Capture* c, cudaError_t why) {
  if (c->invalidated == cudaSuccess) c->invalidated = why;
}

cudaError_t capture_hazard(const char* api, Hazard hazard) {
  const auto me = std::this_thread::get_id();
  std::vector<Capture*> hit;
  for (Capture* c : captures()) {
    if (c->invalidated != cudaSuccess) continue;
    switch (hazard) {
      case Hazard::Unsafe:
        if ((c->thread == me && c->mode != cudaStreamCaptureModeRelaxed) ||
            (c->thread != me && c->mode == cudaStreamCaptureModeGlobal && thread_mode == cudaStreamCaptureModeGlobal))
          hit.push_back(c);
        break;
      case Hazard::DeviceSync: hit.push_back(c); break;
      case Hazard::LegacyStream:
        if (has_blocking_stream(c)) hit.push_back(c);
        break;
    }
  }
  if (hit.empty()) return cudaSuccess;
  for (Capture* c : hit) invalidate(c, hazard == Hazard::LegacyStream ? cudaErrorStreamCaptureImplicit
                                                                       : cudaErrorStreamCaptureUnsupported);
  const Capture* c = hit.front();
  switch (hazard) {
    case Hazard::Unsafe:
      return fail(cudaErrorStreamCaptureUnsupported,
                  "%s is not permitted while capture %llu (%s mode) is open%s; the capture is now invalid", api, c->id,
                  mode_name(c->mode), c->thread == me ? " on this thread" : " on another thread");
    case Hazard::DeviceSync:
      return fail(cudaErrorStreamCaptureUnsupported,
                  "%s would synchronise the device while capture %llu is open; the capture is now invalid", api, c->id);
    case Hazard::LegacyStream:
      return fail(cudaErrorStreamCaptureImplicit,
                  "%s on the legacy stream would wait for blocking stream %p, which is capturing (capture %llu); the "
                  "capture is now invalid",
                  api, (void*)c->origin, c->id);
  }
  return cudaErrorUnknown;
}

cudaError_t capture_work(const char* api, CUstream_st* s, cudaGraphNodeType type, std::shared_ptr<KernelLaunch> kernel,
                         std::shared_ptr<Work> copy) {
  if (cudaError_t e = check_active(api, s)) return e;
  CUgraphNode_st* node = add_node(s->capture->graph, type, s->capture_deps);
  node->kernel = std::move(kernel);
  node->copy = std::move(copy);
  s->capture_deps.assign(1, node);
  return cudaSuccess;
}

cudaError_t capture_event_record(const char* api, CUevent_st* e, CUstream_st* s) {
  if (cudaError_t err = check_active(api, s)) return err;
  e->recorded = false;
  e->captured = s->capture->id;
  e->capture_deps = s->capture_deps;
  return cudaSuccess;
}

cudaError_t capture_wait_event(const char* api, CUstream_st* s, CUevent_st* e) {
  if (e->captured == 0) {  // s captures; e stands for work outside any capture
    if (cudaError_t err = check_active(api, s)) return err;
    if (!e->recorded) return cudaSuccess;
    invalidate(s->capture, cudaErrorStreamCaptureIsolation);
    return fail(cudaErrorStreamCaptureIsolation,
                "%s: capturing stream %p waits on event %p, recorded outside the capture; the capture is now invalid",
                api, (void*)s, (void*)e);
  }
  Capture* c = find_capture(e->captured);
  if (c == nullptr)
    return fail(cudaErrorCapturedEvent, "%s: event %p was last recorded in capture %llu, which has ended", api, (void*)e,
                e->captured);
  if (c->invalidated != cudaSuccess)
    return fail(cudaErrorStreamCaptureInvalidated, "%s: event %p belongs to capture %llu, invalidated earlier", api,
                (void*)e, c->id);
  if (s->capture == nullptr) {
    if (s->legacy) {
      invalidate(c, cudaErrorStreamCaptureImplicit);
      return fail(cudaErrorStreamCaptureImplicit, "%s: the legacy stream cannot join capture %llu", api, c->id);
    }
    s->capture = c;  // a fork: s now captures into c
    s->capture_deps = e->capture_deps;
    c->streams.push_back(s);
    return cudaSuccess;
  }
  if (s->capture != c) {
    invalidate(c, cudaErrorStreamCaptureMerge);
    invalidate(s->capture, cudaErrorStreamCaptureMerge);
    return fail(cudaErrorStreamCaptureMerge, "%s: stream %p of capture %llu waits on event %p of capture %llu", api,
                (void*)s, s->capture->id, (void*)e, c->id);
  }
  if (cudaError_t err = check_active(api, s)) return err;
  add_deps(s->capture_deps, e->capture_deps);
  return cudaSuccess;
}
}  // namespace emu

using namespace emu;

extern "C" cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  Api api("cudaStreamBeginCapture");
  if (cudaError_t e = api.faulted()) return e;
  CUgraph_st* graph = create_graph();
  cudaError_t e = begin(api.name(), stream, graph, false, {}, mode);
  if (e != cudaSuccess) destroy_graph(graph);
  return e;
}

extern "C" cudaError_t cudaStreamBeginCaptureToGraph(cudaStream_t stream, cudaGraph_t graph,
                                                     const cudaGraphNode_t* dependencies,
                                                     const cudaGraphEdgeData* dependencyData, size_t numDependencies,
                                                     cudaStreamCaptureMode mode) {
  Api api("cudaStreamBeginCaptureToGraph");
  if (cudaError_t e = api.faulted()) return e;
  if (!valid_graph(graph)) return fail(cudaErrorInvalidValue, "%s: graph %p is not a live graph", api.name(), (void*)graph);
  if (graph->capturing != nullptr)
    return fail(cudaErrorIllegalState, "%s: graph %p is already being captured into", api.name(), (void*)graph);
  if (dependencyData != nullptr)
    return fail(cudaErrorNotSupported, "%s: edge data is not modelled", api.name());
  std::vector<CUgraphNode_st*> deps;
  for (size_t i = 0; i < numDependencies; ++i) {
    if (dependencies[i] == nullptr || dependencies[i]->graph != graph)
      return fail(cudaErrorInvalidValue, "%s: dependency %zu is not a node of the graph", api.name(), i);
    deps.push_back(dependencies[i]);
  }
  return begin(api.name(), stream, graph, true, deps, mode);
}

extern "C" cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  Api api("cudaStreamEndCapture");
  if (cudaError_t e = api.faulted()) return e;
  if (graph == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamEndCapture: graph is NULL");
  *graph = nullptr;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  Capture* c = s->capture;
  if (c == nullptr) return fail(cudaErrorIllegalState, "cudaStreamEndCapture: stream %p is not capturing", (void*)s);
  if (s != c->origin) {
    invalidate(c, cudaErrorStreamCaptureUnmatched);
    return fail(cudaErrorStreamCaptureUnmatched,
                "cudaStreamEndCapture: capture %llu began on stream %p, not on %p; the capture is now invalid", c->id,
                (void*)c->origin, (void*)s);
  }
  if (c->mode != cudaStreamCaptureModeRelaxed && c->thread != std::this_thread::get_id())
    return fail(cudaErrorStreamCaptureWrongThread, "cudaStreamEndCapture: capture %llu (%s mode) began on another thread",
                c->id, mode_name(c->mode));
  cudaError_t result = c->invalidated != cudaSuccess ? cudaErrorStreamCaptureInvalidated : cudaSuccess;
  std::string why = c->invalidated != cudaSuccess ? format("it was invalidated (%s)", cudaGetErrorName(c->invalidated)) : "";
  if (result == cudaSuccess) {
    const auto joined = ancestors(s->capture_deps);
    for (CUstream_st* t : c->streams)
      for (CUgraphNode_st* n : t->capture_deps)
        if (t != s && !joined.count(n)) {
          result = cudaErrorStreamCaptureUnjoined;
          why = format("stream %p forked from it was not joined back", (void*)t);
        }
  }
  CUgraph_st* g = c->graph;
  const bool into_existing = c->into_existing;
  const unsigned long long id = c->id;
  end(c);
  if (result != cudaSuccess) {
    if (!into_existing) destroy_graph(g);
    return fail(result, "cudaStreamEndCapture: capture %llu gives no graph: %s", id, why.c_str());
  }
  *graph = g;
  return cudaSuccess;
}

extern "C" cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
  return cudaStreamGetCaptureInfo(stream, status, nullptr, nullptr, nullptr, nullptr, nullptr);
}

extern "C" cudaError_t cudaStreamGetCaptureInfo(cudaStream_t stream, cudaStreamCaptureStatus* captureStatus_out,
                                                unsigned long long* id_out, cudaGraph_t* graph_out,
                                                const cudaGraphNode_t** dependencies_out,
                                                const cudaGraphEdgeData** edgeData_out, size_t* numDependencies_out) {
  Api api("cudaStreamGetCaptureInfo");
  if (cudaError_t e = api.faulted()) return e;
  if (captureStatus_out == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamGetCaptureInfo: status is NULL");
  if (edgeData_out != nullptr && dependencies_out == nullptr)
    return fail(cudaErrorInvalidValue, "cudaStreamGetCaptureInfo: edge data without dependencies");
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->legacy)
    for (Capture* c : captures())
      if (has_blocking_stream(c))
        return fail(cudaErrorStreamCaptureImplicit, "cudaStreamGetCaptureInfo: the legacy stream while blocking stream "
                    "%p captures", (void*)c->origin);
  Capture* c = s->capture;
  *captureStatus_out = c == nullptr ? cudaStreamCaptureStatusNone
                                    : (c->invalidated != cudaSuccess ? cudaStreamCaptureStatusInvalidated
                                                                     : cudaStreamCaptureStatusActive);
  if (c == nullptr || c->invalidated != cudaSuccess) return cudaSuccess;
  if (id_out) *id_out = c->id;
  if (graph_out) *graph_out = c->graph;
  if (dependencies_out) *dependencies_out = s->capture_deps.data();
  if (edgeData_out) {
    static thread_local std::vector<cudaGraphEdgeData> zeros;
    zeros.assign(s->capture_deps.size(), cudaGraphEdgeData());
    *edgeData_out = zeros.data();
  }
  if (numDependencies_out) *numDependencies_out = s->capture_deps.size();
  return cudaSuccess;
}

extern "C" cudaError_t cudaStreamUpdateCaptureDependencies(cudaStream_t stream, cudaGraphNode_t* dependencies,
                                                           const cudaGraphEdgeData* dependencyData,
                                                           size_t numDependencies, unsigned int flags) {
  Api api("cudaStreamUpdateCaptureDependencies");
  if (cudaError_t e = api.faulted()) return e;
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture == nullptr) return fail(cudaErrorIllegalState, "%s: stream %p is not capturing", api.name(), (void*)s);
  if (cudaError_t e = check_active(api.name(), s)) return e;
  if (dependencyData != nullptr) return fail(cudaErrorNotSupported, "%s: edge data is not modelled", api.name());
  if (flags != cudaStreamAddCaptureDependencies && flags != cudaStreamSetCaptureDependencies)
    return fail(cudaErrorInvalidValue, "%s: flags %u", api.name(), flags);
  std::vector<CUgraphNode_st*> nodes;
  for (size_t i = 0; i < numDependencies; ++i) {
    if (dependencies[i] == nullptr || dependencies[i]->graph != s->capture->graph)
      return fail(cudaErrorInvalidValue, "%s: node %zu is not in the graph being captured", api.name(), i);
    nodes.push_back(dependencies[i]);
  }
  if (flags == cudaStreamSetCaptureDependencies) s->capture_deps.clear();
  add_deps(s->capture_deps, nodes);
  return cudaSuccess;
}

extern "C" cudaError_t cudaThreadExchangeStreamCaptureMode(cudaStreamCaptureMode* mode) {
  if (mode == nullptr) return fail(cudaErrorInvalidValue, "cudaThreadExchangeStreamCaptureMode: mode is NULL");
  std::swap(*mode, thread_mode);
  return cudaSuccess;
}
