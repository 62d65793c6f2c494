// Graphs on the emulated device: nodes (kernel, memcpy, memset, host, empty, switch conditional) with
// their dependencies, built by stream capture or by the cudaGraphAdd* calls; cudaGraphInstantiate
// copies a graph into an executable one (later changes to the graph do not reach it), refusing a
// cycle and a race between nodes that no path orders (races.cpp); cudaGraphLaunch enqueues one
// replay on a stream, ordered after the previous launch of the same executable graph; a replay runs
// the nodes in a topological order on the stream's worker. Switch nodes run body n when device code
// set their handle to n (cudaGraphSetConditional) and no body when n >= the number of bodies; a
// handle keeps its value from launch to launch unless created with cudaGraphCondAssignDefault.
// cudaGraphSetConditional from more than one CUDA thread of a kernel is a fault: the CUDA headers
// make possibly concurrent calls undefined. If and while conditionals are not modelled
// (cudaErrorNotSupported).
// Checked by kernels/dev/emu/tests/emu_capture_test.cpp.
#include <algorithm>
#include <set>

#include "internal.h"

namespace emu {
struct HandleInfo {
  CUgraph_st* graph;
  unsigned value;
  unsigned flags;
};

struct ExecGraph;
struct ExecNode {
  cudaGraphNodeType type;
  std::shared_ptr<KernelLaunch> kernel;
  std::shared_ptr<Work> copy;
  cudaGraphConditionalHandle handle = 0;
  std::vector<std::unique_ptr<ExecGraph>> bodies;
  std::string name;
};
struct ExecGraph {
  std::vector<ExecNode> nodes;
  std::vector<size_t> order;  // topological
};
struct ExecState {
  std::unique_ptr<ExecGraph> root;
  std::map<cudaGraphConditionalHandle, HandleInfo> handles;  // value: the current one
};

namespace {
struct Graphs {
  std::set<const CUgraph_st*> graphs;
  std::set<const CUgraphExec_st*> execs;
  std::map<cudaGraphConditionalHandle, HandleInfo> handles;
  cudaGraphConditionalHandle next_handle = 0;
};

Graphs& state() {
  static auto* g = new Graphs();
  return *g;
}

thread_local ExecState* running = nullptr;

std::string node_name(const CUgraphNode_st& n) {
  switch (n.type) {
    case cudaGraphNodeTypeKernel: return "kernel " + n.kernel->name;
    case cudaGraphNodeTypeMemcpy:
    case cudaGraphNodeTypeHost: return n.copy->name();
    case cudaGraphNodeTypeConditional: return format("switch node %d", n.index);
    default: return format("empty node %d", n.index);
  }
}

bool is_ancestor_graph(const CUgraph_st* maybe, const CUgraph_st* g) {
  for (; g != nullptr; g = g->parent)
    if (g == maybe) return true;
  return false;
}

/** A topological order (smallest index first among the ready), or false for a cycle. */
bool topological(const CUgraph_st* g, std::vector<size_t>* order) {
  const size_t n = g->nodes.size();
  std::vector<size_t> pending(n, 0);
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; ++i)
    for (const CUgraphNode_st* d : g->nodes[i]->deps) {
      ++pending[i];
      users[(size_t)d->index].push_back(i);
    }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(i);
  while (!ready.empty()) {
    const size_t i = *ready.begin();
    ready.erase(ready.begin());
    order->push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.insert(u);
  }
  return order->size() == n;
}

void exec_accesses(const ExecNode& node, std::vector<Access>* out) {
  if (node.kernel) node.kernel->accesses(out);
  if (node.copy) node.copy->accesses(out);
  for (const auto& body : node.bodies)
    for (const ExecNode& n : body->nodes) exec_accesses(n, out);
}

/** Copies g into an executable graph, checking it; the error message, or "" when it is sound. */
std::string instantiate(const CUgraph_st* g, ExecGraph* out, std::map<cudaGraphConditionalHandle, HandleInfo>* handles) {
  if (!topological(g, &out->order)) return "the graph has a cycle";
  const size_t n = g->nodes.size();
  out->nodes.resize(n);
  std::vector<std::string> names(n);
  std::vector<std::vector<Access>> accesses(n);
  for (size_t i = 0; i < n; ++i) {
    const CUgraphNode_st& src = *g->nodes[i];
    ExecNode& dst = out->nodes[i];
    dst.type = src.type;
    dst.kernel = src.kernel;
    dst.copy = src.copy;
    dst.handle = src.handle;
    dst.name = names[i] = node_name(src);
    if (src.type == cudaGraphNodeTypeConditional) {
      auto it = state().handles.find(src.handle);
      if (it == state().handles.end()) return format("%s: its conditional handle is unknown", names[i].c_str());
      (*handles)[src.handle] = it->second;
      for (const CUgraph_st* body : src.bodies) {
        dst.bodies.push_back(std::make_unique<ExecGraph>());
        std::string e = instantiate(body, dst.bodies.back().get(), handles);
        if (!e.empty()) return e;
      }
    }
    exec_accesses(dst, &accesses[i]);
  }
  if (!races_enabled()) return "";
  const size_t words = (n + 63) / 64;
  std::vector<std::vector<uint64_t>> ancestors(n, std::vector<uint64_t>(words, 0));
  for (size_t i : out->order)
    for (const CUgraphNode_st* d : g->nodes[i]->deps) {
      const size_t j = (size_t)d->index;
      for (size_t w = 0; w < words; ++w) ancestors[i][w] |= ancestors[j][w];
      ancestors[i][j / 64] |= 1ull << (j % 64);
    }
  return unordered_conflict(names, accesses, ancestors);
}

bool faulted_now() {
  std::lock_guard<std::mutex> hold(lock());
  return sticky() != cudaSuccess;
}

void run_graph(const ExecGraph& g, ExecState& st) {
  for (size_t i : g.order) {
    if (faulted_now()) return;
    const ExecNode& node = g.nodes[i];
    switch (node.type) {
      case cudaGraphNodeTypeKernel: run_grid(*node.kernel); break;
      case cudaGraphNodeTypeMemcpy:
      case cudaGraphNodeTypeHost: node.copy->run(); break;
      case cudaGraphNodeTypeConditional: {
        const unsigned v = st.handles[node.handle].value;
        if (v < node.bodies.size()) run_graph(*node.bodies[v], st);
        break;
      }
      default: break;
    }
  }
}

/** One replay of an executable graph, as an operation on a stream. */
class GraphRun final : public Work {
 public:
  explicit GraphRun(std::shared_ptr<ExecState> st) : st_(std::move(st)) {}
  void run() override {
    for (auto& h : st_->handles)
      if (h.second.flags & cudaGraphCondAssignDefault) h.second.value = default_of(h.first);
    running = st_.get();
    run_graph(*st_->root, *st_);
    running = nullptr;
  }
  std::string name() const override { return format("graph launch (%zu nodes)", st_->root->nodes.size()); }
  void accesses(std::vector<Access>* out) const override {
    std::vector<Access> all;
    for (const ExecNode& n : st_->root->nodes) exec_accesses(n, &all);
    std::set<std::tuple<Alloc*, uintptr_t, size_t>> seen_write, seen_read;
    for (const Access& a : all) {  // writes first: a write covers a read of the same place
      if (a.write && seen_write.insert({a.alloc, a.start, a.len}).second) out->push_back(a);
    }
    for (const Access& a : all)
      if (!a.write && !seen_write.count({a.alloc, a.start, a.len}) && seen_read.insert({a.alloc, a.start, a.len}).second)
        out->push_back(a);
  }

 private:
  unsigned default_of(cudaGraphConditionalHandle h) const {
    auto it = default_values.find(h);
    return it == default_values.end() ? 0 : it->second;
  }

 public:
  std::map<cudaGraphConditionalHandle, unsigned> default_values;

 private:
  std::shared_ptr<ExecState> st_;
};

cudaError_t check_graph(const char* api, cudaGraph_t graph) {
  if (!valid_graph(graph)) return fail(cudaErrorInvalidValue, "%s: graph %p is not a live graph", api, (void*)graph);
  return cudaSuccess;
}

cudaError_t collect_deps(const char* api, cudaGraph_t graph, const cudaGraphNode_t* deps, size_t count,
                         std::vector<CUgraphNode_st*>* out) {
  for (size_t i = 0; i < count; ++i) {
    if (deps == nullptr || deps[i] == nullptr || deps[i]->graph != graph)
      return fail(cudaErrorInvalidValue, "%s: dependency %zu is not a node of graph %p", api, i, (void*)graph);
    out->push_back(deps[i]);
  }
  return cudaSuccess;
}

void forget(CUgraph_st* g) {
  state().graphs.erase(g);
  for (auto& n : g->nodes)
    for (CUgraph_st* body : n->bodies) {
      forget(body);
      delete body;
    }
}
}  // namespace

CUgraph_st* create_graph() {
  auto* g = new CUgraph_st();
  state().graphs.insert(g);
  return g;
}

void destroy_graph(CUgraph_st* g) {
  forget(g);
  delete g;
}

bool valid_graph(const CUgraph_st* g) { return g != nullptr && state().graphs.count(g); }

CUgraphNode_st* add_node(CUgraph_st* g, cudaGraphNodeType type, const std::vector<CUgraphNode_st*>& deps) {
  auto node = std::make_unique<CUgraphNode_st>();
  node->graph = g;
  node->type = type;
  node->deps = deps;
  node->index = (int)g->nodes.size();
  g->nodes.push_back(std::move(node));
  return g->nodes.back().get();
}

void graph_set_conditional(cudaGraphConditionalHandle handle, unsigned value) {
  ExecState* st = running;
  if (st == nullptr)
    kernel_fault(cudaErrorLaunchFailure, "cudaGraphSetConditional from a kernel that is not a node of a graph launch");
  auto it = st->handles.find(handle);
  if (it == st->handles.end())
    kernel_fault(cudaErrorLaunchFailure, format("cudaGraphSetConditional: handle %llu is not a handle of this graph", handle));
  if (!claim_conditional_setter())
    kernel_fault(cudaErrorLaunchFailure,
                 "cudaGraphSetConditional from more than one thread of a kernel: calls that may run concurrently are "
                 "undefined behaviour (cuda_device_runtime_api.h)");
  it->second.value = value;
}
}  // namespace emu

struct CUgraphExec_st {
  std::shared_ptr<emu::ExecState> state;
  std::map<cudaGraphConditionalHandle, unsigned> defaults;
  CUstream_st* last_stream = nullptr;
  uint64_t last_seq = 0;
  emu::Clock last_vc;
};

using namespace emu;

extern "C" cudaError_t cudaGraphCreate(cudaGraph_t* graph, unsigned int flags) {
  Api api("cudaGraphCreate");
  if (cudaError_t e = api.faulted()) return e;
  if (graph == nullptr || flags != 0) return fail(cudaErrorInvalidValue, "cudaGraphCreate: bad arguments");
  *graph = create_graph();
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  Api api("cudaGraphDestroy");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (graph->parent != nullptr)
    return fail(cudaErrorInvalidValue, "cudaGraphDestroy: graph %p is a conditional node's body (its node owns it)",
                (void*)graph);
  if (graph->capturing != nullptr)
    return fail(cudaErrorInvalidValue, "cudaGraphDestroy: graph %p is being captured into", (void*)graph);
  destroy_graph(graph);
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* numNodes) {
  Api api("cudaGraphGetNodes");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (numNodes == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphGetNodes: numNodes is NULL");
  if (nodes == nullptr) {
    *numNodes = graph->nodes.size();
    return cudaSuccess;
  }
  for (size_t i = 0; i < *numNodes; ++i) nodes[i] = i < graph->nodes.size() ? graph->nodes[i].get() : nullptr;
  *numNodes = std::min(*numNodes, graph->nodes.size());
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphGetRootNodes(cudaGraph_t graph, cudaGraphNode_t* rootNodes, size_t* numRootNodes) {
  Api api("cudaGraphGetRootNodes");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (numRootNodes == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphGetRootNodes: numRootNodes is NULL");
  std::vector<CUgraphNode_st*> roots;
  for (auto& n : graph->nodes)
    if (n->deps.empty()) roots.push_back(n.get());
  if (rootNodes == nullptr) {
    *numRootNodes = roots.size();
    return cudaSuccess;
  }
  for (size_t i = 0; i < *numRootNodes; ++i) rootNodes[i] = i < roots.size() ? roots[i] : nullptr;
  *numRootNodes = std::min(*numRootNodes, roots.size());
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphAddEmptyNode(cudaGraphNode_t* node, cudaGraph_t graph, const cudaGraphNode_t* dependencies,
                                             size_t numDependencies) {
  Api api("cudaGraphAddEmptyNode");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (node == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphAddEmptyNode: node is NULL");
  std::vector<CUgraphNode_st*> deps;
  if (cudaError_t e = collect_deps(api.name(), graph, dependencies, numDependencies, &deps)) return e;
  *node = add_node(graph, cudaGraphNodeTypeEmpty, deps);
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphAddKernelNode(cudaGraphNode_t* node, cudaGraph_t graph,
                                              const cudaGraphNode_t* dependencies, size_t numDependencies,
                                              const cudaKernelNodeParams* params) {
  Api api("cudaGraphAddKernelNode");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (node == nullptr || params == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphAddKernelNode: NULL argument");
  if (params->extra != nullptr) return fail(cudaErrorNotSupported, "cudaGraphAddKernelNode: 'extra' is not modelled");
  KernelFactory make = kernel_factory(params->func);
  if (make == nullptr)
    return fail(cudaErrorInvalidDeviceFunction,
                "cudaGraphAddKernelNode: %p is not a registered __global__ function (kernels/dev/emu/transform.cpp "
                "registers non-template kernels)",
                params->func);
  std::vector<CUgraphNode_st*> deps;
  if (cudaError_t e = collect_deps(api.name(), graph, dependencies, numDependencies, &deps)) return e;
  auto k = std::make_shared<KernelLaunch>();
  k->call = make(params->func, params->kernelParams);
  k->grid = params->gridDim;
  k->block = params->blockDim;
  k->shared = params->sharedMemBytes;
  k->name = kernel_name(params->func) + " (kernel node)";
  if (cudaError_t e = prepare_launch(k.get())) return e;
  CUgraphNode_st* n = add_node(graph, cudaGraphNodeTypeKernel, deps);
  n->kernel = std::move(k);
  *node = n;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphAddNode(cudaGraphNode_t* node, cudaGraph_t graph, const cudaGraphNode_t* dependencies,
                                        const cudaGraphEdgeData* dependencyData, size_t numDependencies,
                                        cudaGraphNodeParams* nodeParams) {
  Api api("cudaGraphAddNode");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (node == nullptr || nodeParams == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphAddNode: NULL argument");
  if (dependencyData != nullptr) return fail(cudaErrorNotSupported, "cudaGraphAddNode: edge data is not modelled");
  std::vector<CUgraphNode_st*> deps;
  if (cudaError_t e = collect_deps(api.name(), graph, dependencies, numDependencies, &deps)) return e;
  if (nodeParams->type == cudaGraphNodeTypeEmpty) {
    *node = add_node(graph, cudaGraphNodeTypeEmpty, deps);
    return cudaSuccess;
  }
  if (nodeParams->type != cudaGraphNodeTypeConditional)
    return fail(cudaErrorNotSupported, "cudaGraphAddNode: node type %d is not modelled (empty and conditional are)",
                (int)nodeParams->type);
  cudaConditionalNodeParams& c = nodeParams->conditional;
  if (c.type != cudaGraphCondTypeSwitch)
    return fail(cudaErrorNotSupported, "cudaGraphAddNode: %s conditional nodes are not modelled (switch nodes are)",
                c.type == cudaGraphCondTypeIf ? "if" : "while");
  auto h = state().handles.find(c.handle);
  if (h == state().handles.end() || !is_ancestor_graph(h->second.graph, graph))
    return fail(cudaErrorInvalidValue, "cudaGraphAddNode: conditional handle %llu was not created for this graph", c.handle);
  if (c.size < 1) return fail(cudaErrorInvalidValue, "cudaGraphAddNode: a switch node needs at least one body");
  CUgraphNode_st* n = add_node(graph, cudaGraphNodeTypeConditional, deps);
  n->handle = c.handle;
  for (unsigned i = 0; i < c.size; ++i) {
    CUgraph_st* body = create_graph();
    body->parent = graph;
    n->bodies.push_back(body);
    n->body_handles.push_back(body);
  }
  c.phGraph_out = n->body_handles.data();
  *node = n;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphAddDependencies(cudaGraph_t graph, const cudaGraphNode_t* from, const cudaGraphNode_t* to,
                                                const cudaGraphEdgeData* edgeData, size_t numDependencies) {
  Api api("cudaGraphAddDependencies");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (edgeData != nullptr) return fail(cudaErrorNotSupported, "cudaGraphAddDependencies: edge data is not modelled");
  for (size_t i = 0; i < numDependencies; ++i) {
    if (from[i] == nullptr || to[i] == nullptr || from[i]->graph != graph || to[i]->graph != graph || from[i] == to[i])
      return fail(cudaErrorInvalidValue, "cudaGraphAddDependencies: edge %zu is not between two nodes of the graph", i);
    auto& deps = to[i]->deps;
    if (std::find(deps.begin(), deps.end(), from[i]) != deps.end())
      return fail(cudaErrorInvalidValue, "cudaGraphAddDependencies: edge %zu exists already", i);
    deps.push_back(from[i]);
  }
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphConditionalHandleCreate(cudaGraphConditionalHandle* handle, cudaGraph_t graph,
                                                        unsigned int defaultLaunchValue, unsigned int flags) {
  Api api("cudaGraphConditionalHandleCreate");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (handle == nullptr || (flags & ~(unsigned)cudaGraphCondAssignDefault) != 0)
    return fail(cudaErrorInvalidValue, "cudaGraphConditionalHandleCreate: bad arguments (flags %u)", flags);
  *handle = ++state().next_handle;
  state().handles[*handle] = {graph, defaultLaunchValue, flags};
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags) {
  Api api("cudaGraphInstantiate");
  if (cudaError_t e = api.faulted()) return e;
  if (cudaError_t e = check_graph(api.name(), graph)) return e;
  if (exec == nullptr) return fail(cudaErrorInvalidValue, "cudaGraphInstantiate: exec is NULL");
  *exec = nullptr;
  if (flags != 0) return fail(cudaErrorNotSupported, "cudaGraphInstantiate: flags 0x%llx are not modelled", flags);
  if (graph->capturing != nullptr)
    return fail(cudaErrorInvalidValue, "cudaGraphInstantiate: graph %p is being captured into", (void*)graph);
  auto st = std::make_shared<ExecState>();
  st->root = std::make_unique<ExecGraph>();
  const std::string problem = instantiate(graph, st->root.get(), &st->handles);
  if (!problem.empty()) return fail(cudaErrorIllegalState, "cudaGraphInstantiate: %s", problem.c_str());
  auto* x = new CUgraphExec_st();
  for (auto& h : st->handles) x->defaults[h.first] = h.second.value;
  x->state = std::move(st);
  state().execs.insert(x);
  *exec = x;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  Api api("cudaGraphLaunch");
  if (cudaError_t e = api.faulted()) return e;
  if (exec == nullptr || !state().execs.count(exec))
    return fail(cudaErrorInvalidValue, "cudaGraphLaunch: %p is not a live executable graph", (void*)exec);
  CUstream_st* s = resolve_stream(stream, api.name());
  if (s == nullptr) return stream_error();
  if (s->capture != nullptr)
    return fail(cudaErrorNotSupported, "cudaGraphLaunch into a capturing stream (a child graph node) is not modelled");
  if (s->legacy)
    if (cudaError_t e = capture_hazard(api.name(), Hazard::LegacyStream)) return e;
  auto run = std::make_shared<GraphRun>(exec->state);
  run->default_values = exec->defaults;
  std::vector<std::pair<CUstream_st*, uint64_t>> waits;
  if (exec->last_stream) waits.push_back({exec->last_stream, exec->last_seq});  // launches of one graph in order
  if (cudaError_t e = enqueue(api.name(), s, std::move(run), std::move(waits), &exec->last_vc)) return e;
  exec->last_stream = s;
  exec->last_seq = s->enqueued;
  exec->last_vc = s->vc;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  Api api("cudaGraphExecDestroy");
  if (cudaError_t e = api.faulted()) return e;
  if (exec == nullptr || !state().execs.count(exec))
    return fail(cudaErrorInvalidValue, "cudaGraphExecDestroy: %p is not a live executable graph", (void*)exec);
  state().execs.erase(exec);
  delete exec;  // a replay still queued keeps the executable state alive
  return cudaSuccess;
}
