// CUDA graphs whose launch sequence does not depend on the data (pvll_cuda_graph.h): stream
// capture on this thread, switch nodes whose case a one-thread kernel picks from a float in
// device memory, each case's body captured into the node's body graph; the graph owns the
// device memory its captured ops allocated (capture_pool.cuh) until it is destroyed.
// Launches go on this thread's stream, by default the legacy default stream, so a replay is
// ordered with the plain ops before and after it like any other op.
#include <string>
#include <vector>

#include "capture_pool.cuh"
#include "cuda_check.cuh"

namespace {
/** One switch node's handle and the device value that picks its case. */
struct SwitchEntry {
  cudaGraphConditionalHandle handle;
  const float* selector;
  int cases;
};

/** The capture in progress on this thread. */
struct Capture {
  int device = -1;
  cudaStream_t main = nullptr, body = nullptr;
  cudaStream_t saved_thread_stream = nullptr;
  pvll_cuda::CapturePool* pool = nullptr;
  std::vector<cudaGraph_t> bodies;  // of the open switch; empty when none
  cudaStream_t lane = nullptr;      // the capturing stream the open switch is on
  int current_case = -1;            // body being captured, -1 none
  int last_case = -1;
  bool switches_at_root = false;    // PVLL_GRAPH_SWITCHES_AT_ROOT
  std::vector<SwitchEntry> switches; // set by one kernel at the root (switches_at_root)
};
thread_local Capture* capture = nullptr;

/** A captured, instantiated graph and the memory it owns. */
struct Graph {
  int device;
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  pvll_cuda::CapturePool* pool;
  long long nodes;
  SwitchEntry* switch_table;  // device memory of the root kernel, or NULL
  cudaEvent_t done;           // recorded after every launch: the last replay's end
};

/** The case a selector value picks: NaN and values outside [0, cases) pick none (cases runs nothing). */
__device__ unsigned switch_index(float v, int cases) {
  return v >= 0.f && v < (float)cases ? (unsigned)v : (unsigned)cases;
}

__global__ void set_switch_kernel(cudaGraphConditionalHandle handle, const float* selector, int cases) {
  cudaGraphSetConditional(handle, switch_index(*selector, cases));
}

/**
 * Sets every switch of a graph at its root: one thread loops over the handles (calls of
 * cudaGraphSetConditional that may run concurrently are undefined; a few dozen handles cost
 * nothing measurable).
 */
__global__ void set_switches_kernel(const SwitchEntry* table, int count) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  for (int i = 0; i < count; ++i)
    cudaGraphSetConditional(table[i].handle, switch_index(*table[i].selector, table[i].cases));
}

/**
 * Puts one kernel before every root of graph that sets all its switches from a table in device
 * memory (*table, freed with the graph).
 */
int add_root_switch_kernel(const char* op, cudaGraph_t graph, const std::vector<SwitchEntry>& switches,
                           SwitchEntry** table) {
  *table = nullptr;
  if (switches.empty()) return PVLL_OK;
  size_t roots = 0;
  CUDA_CHECK(op, cudaGraphGetRootNodes(graph, nullptr, &roots));
  std::vector<cudaGraphNode_t> root_nodes(roots);
  CUDA_CHECK(op, cudaGraphGetRootNodes(graph, root_nodes.data(), &roots));
  int device = 0;
  CUDA_CHECK(op, cudaGetDevice(&device));
  void* memory = nullptr;
  if (int s = pvll_cuda_malloc(device, (int64_t)(switches.size() * sizeof(SwitchEntry)), &memory)) return s;
  *table = static_cast<SwitchEntry*>(memory);
  CUDA_CHECK(op, cudaMemcpy(*table, switches.data(), switches.size() * sizeof(SwitchEntry), cudaMemcpyHostToDevice));
  const SwitchEntry* table_arg = *table;
  int count = (int)switches.size();
  void* args[] = {&table_arg, &count};
  cudaKernelNodeParams params = {};
  params.func = reinterpret_cast<void*>(set_switches_kernel);
  params.gridDim = dim3(1);
  params.blockDim = dim3(1);
  params.kernelParams = args;
  cudaGraphNode_t setter;
  CUDA_CHECK(op, cudaGraphAddKernelNode(&setter, graph, nullptr, 0, &params));
  for (cudaGraphNode_t root : root_nodes) CUDA_CHECK(op, cudaGraphAddDependencies(graph, &setter, &root, nullptr, 1));
  return PVLL_OK;
}

int require_capture(const char* op) {
  if (capture == nullptr) return pvll_cuda::fail(PVLL_ERR_INVALID_ARGUMENT, "%s: no capture is open on this thread", op);
  return PVLL_OK;
}

/** Ends the body capture in progress (switch_end gives empty bodies their node). */
int end_case(const char* op) {
  if (capture->current_case < 0) return PVLL_OK;
  cudaGraph_t captured = nullptr;
  capture->current_case = -1;
  pvll_cuda::thread_stream_set(capture->lane);
  pvll_cuda::capture_body_lane_set(nullptr);
  CUDA_CHECK(op, cudaStreamEndCapture(capture->body, &captured));
  return PVLL_OK;
}

/** Tears the capture down after an error or an abort; returns nothing, reports nothing. */
void discard_capture() {
  if (capture == nullptr) return;
  cudaGraph_t g = nullptr;
  if (capture->current_case >= 0) {
    if (cudaStreamEndCapture(capture->body, &g) == cudaSuccess && g) { /* body graphs belong to the node */ }
  }
  g = nullptr;
  if (cudaStreamEndCapture(capture->main, &g) == cudaSuccess && g) cudaGraphDestroy(g);
  (void)cudaGetLastError();
  pvll_cuda::thread_stream_set(capture->saved_thread_stream);
  pvll_cuda::capture_body_lane_set(nullptr);
  pvll_cuda::capture_pool_release(capture->pool);  // nothing captured ever ran
  cudaStreamDestroy(capture->main);
  cudaStreamDestroy(capture->body);
  (void)cudaGetLastError();
  delete capture;
  capture = nullptr;
}
}  // namespace

PVLL_API int pvll_cuda_set_thread_stream(int device, void* stream) {
  CUDA_REQUIRE(capture == nullptr || capture->bodies.empty(),
               "pvll_cuda_set_thread_stream: a switch is open on this thread (its case bodies own the stream)");
  CUDA_CHECK("pvll_cuda_set_thread_stream", cudaSetDevice(device));
  pvll_cuda::thread_stream_set((cudaStream_t)stream);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_get_thread_stream(void** stream) {
  CUDA_REQUIRE(stream, "pvll_cuda_get_thread_stream: stream is NULL");
  *stream = pvll_cuda::thread_stream_get();
  return PVLL_OK;
}

PVLL_API int pvll_cuda_graphs_supported(int device, int* supported) {
  CUDA_REQUIRE(supported, "pvll_cuda_graphs_supported: supported is NULL");
  *supported = 0;
  int runtime = 0, driver = 0;
  CUDA_CHECK("pvll_cuda_graphs_supported", cudaRuntimeGetVersion(&runtime));
  CUDA_CHECK("pvll_cuda_graphs_supported", cudaDriverGetVersion(&driver));
  int count = 0;
  CUDA_CHECK("pvll_cuda_graphs_supported", cudaGetDeviceCount(&count));
  *supported = runtime >= 12080 && driver >= 12080 && device >= 0 && device < count ? 1 : 0;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_capture_begin(int device, int flags) {
  const char* op = "pvll_cuda_capture_begin";
  CUDA_REQUIRE(capture == nullptr, "%s: a capture is already open on this thread", op);
  CUDA_REQUIRE((flags & ~PVLL_GRAPH_SWITCHES_AT_ROOT) == 0, "%s: unknown flags %d", op, flags);
  CUDA_CHECK(op, cudaSetDevice(device));
  auto* c = new Capture();
  c->device = device;
  c->switches_at_root = (flags & PVLL_GRAPH_SWITCHES_AT_ROOT) != 0;
  cudaError_t err = cudaStreamCreateWithFlags(&c->main, cudaStreamNonBlocking);
  if (err == cudaSuccess) err = cudaStreamCreateWithFlags(&c->body, cudaStreamNonBlocking);
  // Relaxed: the captured ops may allocate (cudaMalloc) while the capture is open.
  if (err == cudaSuccess) err = cudaStreamBeginCapture(c->main, cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    if (c->main) cudaStreamDestroy(c->main);
    if (c->body) cudaStreamDestroy(c->body);
    delete c;
    (void)cudaGetLastError();
    return pvll_cuda::fail(PVLL_ERR_CUDA, "%s: cannot start a stream capture on cuda:%d: %s", op, device,
                           cudaGetErrorString(err));
  }
  c->saved_thread_stream = pvll_cuda::thread_stream_get();
  pvll_cuda::thread_stream_set(c->main);
  c->pool = pvll_cuda::capture_pool_attach(device);
  capture = c;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_switch_begin(const float* selector, int cases) {
  const char* op = "pvll_cuda_switch_begin";
  if (int s = require_capture(op)) return s;
  CUDA_REQUIRE(capture->bodies.empty(), "%s: a switch is already open (switches do not nest)", op);
  CUDA_REQUIRE(selector && cases >= 1, "%s: bad arguments (cases=%d)", op, cases);
  // the switch goes on the stream this thread captures on now: the main one or a lane
  const cudaStream_t lane = pvll_cuda::thread_stream_get();
  cudaStreamCaptureStatus status;
  cudaGraph_t graph = nullptr;
  const cudaGraphNode_t* deps = nullptr;
  size_t deps_count = 0;
  CUDA_CHECK(op, cudaStreamGetCaptureInfo(lane, &status, nullptr, &graph, &deps, nullptr, &deps_count));
  CUDA_REQUIRE(status == cudaStreamCaptureStatusActive,
               "%s: this thread's stream is not capturing (an earlier error, or a lane that never joined the capture)", op);
  cudaGraphConditionalHandle handle;
  CUDA_CHECK(op, cudaGraphConditionalHandleCreate(&handle, graph, 0, 0));
  if (capture->switches_at_root) {
    capture->switches.push_back({handle, selector, cases});
  } else {
    set_switch_kernel<<<1, 1, 0, lane>>>(handle, selector, cases);
    CUDA_CHECK_LAUNCH(op);
    CUDA_CHECK(op, cudaStreamGetCaptureInfo(lane, &status, nullptr, &graph, &deps, nullptr, &deps_count));
  }
  cudaGraphNodeParams params = {};
  params.type = cudaGraphNodeTypeConditional;
  params.conditional.handle = handle;
  params.conditional.type = cudaGraphCondTypeSwitch;
  params.conditional.size = (unsigned)cases;
  cudaGraphNode_t node;
  CUDA_CHECK(op, cudaGraphAddNode(&node, graph, deps, nullptr, deps_count, &params));
  CUDA_CHECK(op, cudaStreamUpdateCaptureDependencies(lane, &node, nullptr, 1, cudaStreamSetCaptureDependencies));
  capture->bodies.assign(params.conditional.phGraph_out, params.conditional.phGraph_out + cases);
  capture->lane = lane;
  capture->current_case = -1;
  capture->last_case = -1;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_switch_case(int index) {
  const char* op = "pvll_cuda_switch_case";
  if (int s = require_capture(op)) return s;
  CUDA_REQUIRE(!capture->bodies.empty(), "%s: no switch is open", op);
  CUDA_REQUIRE(index > capture->last_case && index < (int)capture->bodies.size(),
               "%s: case %d after case %d of a %d-way switch (each case once, in increasing order)", op, index,
               capture->last_case, (int)capture->bodies.size());
  if (int s = end_case(op)) return s;
  CUDA_CHECK(op, cudaStreamBeginCaptureToGraph(capture->body, capture->bodies[(size_t)index], nullptr, nullptr, 0,
                                               cudaStreamCaptureModeRelaxed));
  capture->current_case = index;
  capture->last_case = index;
  pvll_cuda::thread_stream_set(capture->body);
  pvll_cuda::capture_body_lane_set(capture->lane);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_switch_end(int cases) {
  const char* op = "pvll_cuda_switch_end";
  if (int s = require_capture(op)) return s;
  CUDA_REQUIRE(!capture->bodies.empty() && (int)capture->bodies.size() == cases,
               "%s: no %d-way switch is open", op, cases);
  if (int s = end_case(op)) return s;
  for (cudaGraph_t body : capture->bodies) {  // an empty body (a case that enqueued nothing) gets an empty node
    size_t count = 0;
    CUDA_CHECK(op, cudaGraphGetNodes(body, nullptr, &count));
    if (count == 0) {
      cudaGraphNode_t empty;
      CUDA_CHECK(op, cudaGraphAddEmptyNode(&empty, body, nullptr, 0));
    }
  }
  capture->bodies.clear();
  return PVLL_OK;
}

PVLL_API int pvll_cuda_capture_end(int device, void** graph_out) {
  const char* op = "pvll_cuda_capture_end";
  if (int s = require_capture(op)) return s;
  CUDA_REQUIRE(graph_out, "%s: graph is NULL", op);
  CUDA_REQUIRE(capture->device == device, "%s: the capture is on cuda:%d, not cuda:%d", op, capture->device, device);
  *graph_out = nullptr;
  if (!capture->bodies.empty()) {
    discard_capture();
    return pvll_cuda::fail(PVLL_ERR_INVALID_ARGUMENT, "%s: a switch was still open; the capture is discarded", op);
  }
  cudaGraph_t graph = nullptr;
  cudaError_t err = cudaStreamEndCapture(capture->main, &graph);
  if (err != cudaSuccess || graph == nullptr) {
    (void)cudaGetLastError();
    discard_capture();
    return pvll_cuda::fail(PVLL_ERR_CUDA, "%s: cudaStreamEndCapture failed: %s", op, cudaGetErrorString(err));
  }
  // nothing more is captured: the switch table below must not come from the graph's pool, whose
  // blocks the replays overwrite
  pvll_cuda::capture_pool_detach(capture->pool);
  SwitchEntry* table = nullptr;
  if (int s = add_root_switch_kernel(op, graph, capture->switches, &table)) {
    const std::string message = pvll_cuda_last_error();
    if (table) pvll_cuda_free(capture->device, table);
    cudaGraphDestroy(graph);
    discard_capture();
    return pvll_cuda::fail(s, "%s", message.c_str());
  }
  cudaGraphExec_t exec = nullptr;
  cudaEvent_t done = nullptr;
  err = cudaGraphInstantiate(&exec, graph, 0);
  size_t nodes = 0;
  if (err == cudaSuccess) err = cudaGraphGetNodes(graph, nullptr, &nodes);
  if (err == cudaSuccess) err = cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    const std::string message = cudaGetErrorString(err);
    if (exec) cudaGraphExecDestroy(exec);
    if (table) pvll_cuda_free(capture->device, table);
    cudaGraphDestroy(graph);
    discard_capture();
    return pvll_cuda::fail(PVLL_ERR_CUDA, "%s: cannot instantiate the captured graph: %s", op, message.c_str());
  }
  pvll_cuda::thread_stream_set(capture->saved_thread_stream);
  *graph_out = new Graph{device, graph, exec, capture->pool, (long long)nodes, table, done};
  cudaStreamDestroy(capture->main);
  cudaStreamDestroy(capture->body);
  delete capture;
  capture = nullptr;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_capture_abort(int device) {
  (void)device;
  discard_capture();
  return PVLL_OK;
}

PVLL_API int pvll_cuda_graph_launch(void* graph, void* stream) {
  const char* op = "pvll_cuda_graph_launch";
  CUDA_REQUIRE(graph, "%s: graph is NULL", op);
  CUDA_REQUIRE(capture == nullptr, "%s: cannot launch a graph while a capture is open on this thread", op);
  auto* g = static_cast<Graph*>(graph);
  CUDA_CHECK(op, cudaSetDevice(g->device));
  CUDA_CHECK(op, cudaGraphLaunch(g->exec, pvll_cuda::stream_of(stream)));
  CUDA_CHECK(op, cudaEventRecord(g->done, pvll_cuda::stream_of(stream)));  // launches of one graph run in order
  return PVLL_OK;
}

PVLL_API int pvll_cuda_graph_destroy(void* graph) {
  if (graph == nullptr) return PVLL_OK;
  auto* g = static_cast<Graph*>(graph);
  // The memory goes back to the cache only once no replay can still be using it: wait for the
  // last launch, not for the whole device (that would wait for other streams too, and break a
  // capture open on another thread).
  cudaError_t err = cudaSetDevice(g->device);
  if (err == cudaSuccess) err = cudaEventSynchronize(g->done);
  const std::string why = err == cudaSuccess ? "" : cudaGetErrorString(err);
  (void)cudaGetLastError();
  cudaEventDestroy(g->done);
  cudaGraphExecDestroy(g->exec);
  cudaGraphDestroy(g->graph);
  if (g->switch_table) pvll_cuda_free(g->device, g->switch_table);
  if (err == cudaSuccess) pvll_cuda::capture_pool_release(g->pool);  // else leaked: the device is unusable anyway
  delete g;
  (void)cudaGetLastError();
  if (err != cudaSuccess)
    return pvll_cuda::fail(PVLL_ERR_CUDA, "pvll_cuda_graph_destroy: waiting for the graph's last replay failed: %s",
                           why.c_str());
  return PVLL_OK;
}

PVLL_API int pvll_cuda_graph_info(void* graph, int64_t* nodes, int64_t* bytes) {
  CUDA_REQUIRE(graph && nodes && bytes, "pvll_cuda_graph_info: NULL argument");
  auto* g = static_cast<Graph*>(graph);
  *nodes = g->nodes;
  *bytes = pvll_cuda::capture_pool_bytes(g->pool);
  return PVLL_OK;
}
