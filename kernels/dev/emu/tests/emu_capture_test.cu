// Stream capture and graphs on the emulated CUDA device, as CUDA 13 documents them: captured work
// does not run until the graph is launched; forks through events must join back
// (cudaErrorStreamCaptureUnjoined) and the capture must end on its origin
// (cudaErrorStreamCaptureUnmatched); in global mode cudaMalloc is prohibited, in relaxed mode it
// is not; synchronising a capturing stream or the device, cudaFree, a legacy-stream call while a
// blocking stream captures, waiting on outside work, or a host query of a captured event each
// fail with the real code and invalidate the capture (cudaStreamEndCapture then gives no graph).
// Graphs: a switch node's body chosen by a device-set value at every replay (none when the value
// is out of range), kernel nodes added by address, a race between unordered nodes refused at
// instantiation, cudaGraphSetConditional from two threads of a kernel a fault, a captured host
// function run at every replay.
// Built through the emulator's transform; run by ctest (emu_capture_test).
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "emu_test.h"

namespace {
__global__ void fill_kernel(float* out, float v, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = v;
}

__global__ void add_kernel(const float* a, float* out, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] += a[i];
}

__global__ void set_switch_kernel(cudaGraphConditionalHandle h, const float* selector) {
  cudaGraphSetConditional(h, (unsigned)*selector);
}

__global__ void set_switch_everywhere(cudaGraphConditionalHandle h) { cudaGraphSetConditional(h, 0); }

float read(const float* d) {
  float v = 0;
  cudaMemcpy(&v, d, sizeof v, cudaMemcpyDeviceToHost);
  return v;
}

cudaStream_t nonblocking() {
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  return s;
}

void basic_and_forks() {
  cudaStream_t s = nonblocking(), side = nonblocking();
  float *a, *b;
  CHECK_OK(cudaMalloc(&a, 64 * sizeof(float)));
  CHECK_OK(cudaMalloc(&b, 64 * sizeof(float)));
  fill_kernel<<<1, 64>>>(a, 1.f, 64);
  CHECK_OK(cudaDeviceSynchronize());
  cudaEvent_t fork, join;
  CHECK_OK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
  CHECK_OK(cudaEventCreateWithFlags(&join, cudaEventDisableTiming));
  CHECK_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  cudaStreamCaptureStatus status;
  CHECK_OK(cudaStreamIsCapturing(s, &status));
  CHECK(status == cudaStreamCaptureStatusActive);
  fill_kernel<<<1, 64, 0, s>>>(b, 10.f, 64);
  CHECK_OK(cudaEventRecord(fork, s));
  CHECK_OK(cudaStreamWaitEvent(side, fork, 0));  // side joins the capture
  add_kernel<<<1, 64, 0, side>>>(a, b, 64);
  CHECK_OK(cudaEventRecord(join, side));
  CHECK_OK(cudaStreamWaitEvent(s, join, 0));
  add_kernel<<<1, 64, 0, s>>>(a, b, 64);
  cudaGraph_t g = nullptr;
  CHECK_OK(cudaStreamEndCapture(s, &g));
  CHECK(g != nullptr);
  size_t nodes = 0;
  CHECK_OK(cudaGraphGetNodes(g, nullptr, &nodes));
  CHECK(nodes == 3);
  CHECK(std::isnan(read(b)));  // captured, not run
  cudaGraphExec_t exec;
  CHECK_OK(cudaGraphInstantiate(&exec, g, 0));
  CHECK_OK(cudaGraphLaunch(exec, s));
  CHECK_OK(cudaStreamSynchronize(s));
  CHECK(read(b) == 12.f);
  CHECK_OK(cudaGraphLaunch(exec, s));
  CHECK_OK(cudaStreamSynchronize(s));
  CHECK(read(b) == 12.f);
  // a fork that never joins
  CHECK_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  CHECK_OK(cudaEventRecord(fork, s));
  CHECK_OK(cudaStreamWaitEvent(side, fork, 0));
  fill_kernel<<<1, 64, 0, side>>>(b, 1.f, 64);
  cudaGraph_t g2 = nullptr;
  CHECK_ERR(cudaStreamEndCapture(s, &g2), cudaErrorStreamCaptureUnjoined);
  CHECK(g2 == nullptr);
  CHECK_OK(cudaStreamIsCapturing(side, &status));
  CHECK(status == cudaStreamCaptureStatusNone);
  // ended on the wrong stream
  CHECK_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  CHECK_OK(cudaEventRecord(fork, s));
  CHECK_OK(cudaStreamWaitEvent(side, fork, 0));
  CHECK_ERR(cudaStreamEndCapture(side, &g2), cudaErrorStreamCaptureUnmatched);
  CHECK_ERR(cudaStreamEndCapture(s, &g2), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
  CHECK_OK(cudaGraphExecDestroy(exec));
  CHECK_OK(cudaGraphDestroy(g));
  CHECK_OK(cudaFree(a));
  CHECK_OK(cudaFree(b));
  cudaStreamDestroy(s);
  cudaStreamDestroy(side);
}

/** A captured host function is a host node: it runs at every replay, in the graph's order. */
void host_nodes() {
  cudaStream_t s = nonblocking();
  float* a;
  CHECK_OK(cudaMalloc(&a, 64 * sizeof(float)));
  struct Count {
    int runs = 0;
  } count;
  CHECK_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  fill_kernel<<<1, 64, 0, s>>>(a, 1.f, 64);
  CHECK_OK(cudaLaunchHostFunc(s, [](void* p) { ++static_cast<Count*>(p)->runs; }, &count));
  cudaGraph_t g = nullptr;
  CHECK_OK(cudaStreamEndCapture(s, &g));
  size_t nodes = 0;
  CHECK_OK(cudaGraphGetNodes(g, nullptr, &nodes));
  CHECK(nodes == 2);
  CHECK(count.runs == 0);  // captured, not run
  cudaGraphExec_t exec;
  CHECK_OK(cudaGraphInstantiate(&exec, g, 0));
  for (int i = 0; i < 3; ++i) CHECK_OK(cudaGraphLaunch(exec, s));
  CHECK_OK(cudaStreamSynchronize(s));
  CHECK(count.runs == 3);
  CHECK_OK(cudaGraphExecDestroy(exec));
  CHECK_OK(cudaGraphDestroy(g));
  CHECK_OK(cudaFree(a));
  cudaStreamDestroy(s);
}

/** Starts a capture on s in mode, runs what, ends it; returns what cudaStreamEndCapture said. */
template <class F>
cudaError_t capture_with(cudaStream_t s, cudaStreamCaptureMode mode, cudaError_t* during, F what) {
  cudaStreamBeginCapture(s, mode);
  *during = what();
  cudaGraph_t g = nullptr;
  const cudaError_t e = cudaStreamEndCapture(s, &g);
  if (g) cudaGraphDestroy(g);
  cudaGetLastError();
  return e;
}

void forbidden_calls() {
  cudaStream_t s = nonblocking(), blocking, other = nonblocking();
  CHECK_OK(cudaStreamCreate(&blocking));
  float* d;
  CHECK_OK(cudaMalloc(&d, 64 * sizeof(float)));
  float host[4] = {0, 0, 0, 0};
  cudaError_t during;
  void* p = nullptr;
  // cudaMalloc: prohibited in global mode, allowed in relaxed mode
  CHECK(capture_with(s, cudaStreamCaptureModeGlobal, &during, [&] { return cudaMalloc(&p, 64); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureUnsupported && p == nullptr);
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] { return cudaMalloc(&p, 64); }) == cudaSuccess);
  CHECK(during == cudaSuccess && p != nullptr);
  // synchronising the capturing stream, or the device (also from another thread), or cudaFree
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] { return cudaStreamSynchronize(s); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureUnsupported);
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] {
          cudaError_t e;
          std::thread t([&] { e = cudaDeviceSynchronize(); });
          t.join();
          return e;
        }) == cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureUnsupported);
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] { return cudaFree(p); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureUnsupported);
  CHECK_OK(cudaFree(p));
  // a synchronous copy: prohibited in global mode; with a blocking stream capturing, the legacy stream
  // would wait for it; in relaxed mode on a non-blocking stream it runs at once (not captured)
  CHECK(capture_with(s, cudaStreamCaptureModeGlobal, &during,
                     [&] { return cudaMemcpy(d, host, 16, cudaMemcpyHostToDevice); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureUnsupported);
  CHECK(capture_with(blocking, cudaStreamCaptureModeRelaxed, &during,
                     [&] { return cudaMemcpy(d, host, 16, cudaMemcpyHostToDevice); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureImplicit);
  CHECK(capture_with(blocking, cudaStreamCaptureModeRelaxed, &during, [&] {
          fill_kernel<<<1, 32>>>(d, 1.f, 32);  // the legacy stream
          return cudaGetLastError();
        }) == cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureImplicit);
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during,
                     [&] { return cudaMemcpy(d, host, 16, cudaMemcpyHostToDevice); }) == cudaSuccess);
  CHECK(during == cudaSuccess);
  // events: the host may not query one recorded in the capture; the capture may not wait on outside work
  cudaEvent_t e;
  CHECK_OK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] {
          cudaEventRecord(e, s);
          return cudaEventQuery(e);
        }) == cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorCapturedEvent);
  CHECK_ERR(cudaEventSynchronize(e), cudaErrorCapturedEvent);  // still: last recorded in a capture
  CHECK_OK(cudaEventRecord(e, other));
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] { return cudaStreamWaitEvent(s, e, 0); }) ==
        cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureIsolation);
  // once invalid, further work on the stream fails
  CHECK(capture_with(s, cudaStreamCaptureModeRelaxed, &during, [&] {
          cudaStreamSynchronize(s);
          fill_kernel<<<1, 32, 0, s>>>(d, 1.f, 32);
          return cudaGetLastError();
        }) == cudaErrorStreamCaptureInvalidated);
  CHECK(during == cudaErrorStreamCaptureInvalidated);
  CHECK_OK(cudaEventDestroy(e));
  CHECK_OK(cudaFree(d));
  for (cudaStream_t x : {s, blocking, other}) CHECK_OK(cudaStreamDestroy(x));
}

/** A switch node captured as graph.cu captures it: one kernel sets it, each case a body graph. */
void switch_nodes() {
  cudaStream_t s = nonblocking(), body = nonblocking();
  float *out, *selector;
  CHECK_OK(cudaMalloc(&out, 4 * sizeof(float)));
  CHECK_OK(cudaMalloc(&selector, sizeof(float)));
  CHECK_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  fill_kernel<<<1, 4, 0, s>>>(out, 0.f, 4);
  cudaStreamCaptureStatus status;
  cudaGraph_t graph;
  const cudaGraphNode_t* deps;
  size_t ndeps;
  CHECK_OK(cudaStreamGetCaptureInfo(s, &status, nullptr, &graph, &deps, nullptr, &ndeps));
  cudaGraphConditionalHandle h;
  CHECK_OK(cudaGraphConditionalHandleCreate(&h, graph, 0, 0));
  set_switch_kernel<<<1, 1, 0, s>>>(h, selector);
  CHECK_OK(cudaStreamGetCaptureInfo(s, &status, nullptr, &graph, &deps, nullptr, &ndeps));
  cudaGraphNodeParams params = {};
  params.type = cudaGraphNodeTypeConditional;
  params.conditional.handle = h;
  params.conditional.type = cudaGraphCondTypeSwitch;
  params.conditional.size = 3;
  cudaGraphNode_t node;
  CHECK_OK(cudaGraphAddNode(&node, graph, deps, nullptr, ndeps, &params));
  CHECK_OK(cudaStreamUpdateCaptureDependencies(s, &node, nullptr, 1, cudaStreamSetCaptureDependencies));
  for (int k = 0; k < 3; ++k) {
    CHECK_OK(cudaStreamBeginCaptureToGraph(body, params.conditional.phGraph_out[k], nullptr, nullptr, 0,
                                           cudaStreamCaptureModeRelaxed));
    fill_kernel<<<1, 1, 0, body>>>(out + k, (float)(k + 1), 1);
    cudaGraph_t same;
    CHECK_OK(cudaStreamEndCapture(body, &same));
    CHECK(same == params.conditional.phGraph_out[k]);
  }
  fill_kernel<<<1, 1, 0, s>>>(out + 3, 9.f, 1);
  cudaGraph_t g;
  CHECK_OK(cudaStreamEndCapture(s, &g));
  cudaGraphExec_t exec;
  CHECK_OK(cudaGraphInstantiate(&exec, g, 0));
  const float values[] = {0, 2, 1, 5};
  const float want[][4] = {{1, 0, 0, 9}, {0, 0, 3, 9}, {0, 2, 0, 9}, {0, 0, 0, 9}};
  for (int i = 0; i < 4; ++i) {
    CHECK_OK(cudaMemcpy(selector, &values[i], sizeof(float), cudaMemcpyHostToDevice));
    CHECK_OK(cudaGraphLaunch(exec, nullptr));
    float got[4];
    CHECK_OK(cudaMemcpy(got, out, sizeof got, cudaMemcpyDeviceToHost));
    CHECK(std::memcmp(got, want[i], sizeof got) == 0);
  }
  // if and while conditionals are not modelled: refused, named
  cudaGraph_t other;
  CHECK_OK(cudaGraphCreate(&other, 0));
  cudaGraphConditionalHandle h2;
  CHECK_OK(cudaGraphConditionalHandleCreate(&h2, other, 0, 0));
  cudaGraphNodeParams p2 = {};
  p2.type = cudaGraphNodeTypeConditional;
  p2.conditional.handle = h2;
  p2.conditional.type = cudaGraphCondTypeWhile;
  p2.conditional.size = 1;
  const cudaError_t e = cudaGraphAddNode(&node, other, nullptr, nullptr, 0, &p2);
  CHECK(e == cudaErrorNotSupported && std::strstr(cudaGetErrorString(e), "while") != nullptr);
  CHECK_OK(cudaGraphDestroy(other));
  CHECK_OK(cudaGraphExecDestroy(exec));
  CHECK_OK(cudaGraphDestroy(g));
  CHECK_OK(cudaFree(out));
  CHECK_OK(cudaFree(selector));
  cudaStreamDestroy(s);
  cudaStreamDestroy(body);
}

void graph_races() {
  float* d;
  CHECK_OK(cudaMalloc(&d, 64 * sizeof(float)));
  cudaGraph_t g;
  CHECK_OK(cudaGraphCreate(&g, 0));
  float v = 1.f;
  int n = 64;
  void* args[] = {&d, &v, &n};
  cudaKernelNodeParams k = {};
  k.func = reinterpret_cast<void*>(fill_kernel);
  k.gridDim = dim3(1);
  k.blockDim = dim3(64);
  k.kernelParams = args;
  cudaGraphNode_t first, second;
  CHECK_OK(cudaGraphAddKernelNode(&first, g, nullptr, 0, &k));
  CHECK_OK(cudaGraphAddKernelNode(&second, g, nullptr, 0, &k));  // unordered: both write d
  cudaGraphExec_t exec;
  const cudaError_t e = cudaGraphInstantiate(&exec, g, 0);
  CHECK(e == cudaErrorIllegalState && std::strstr(cudaGetErrorString(e), "race inside the graph") != nullptr);
  CHECK_OK(cudaGraphAddDependencies(g, &first, &second, nullptr, 1));
  CHECK_OK(cudaGraphInstantiate(&exec, g, 0));
  CHECK_OK(cudaGraphLaunch(exec, nullptr));
  CHECK(read(d) == 1.f);
  CHECK_OK(cudaGraphExecDestroy(exec));
  CHECK_OK(cudaGraphDestroy(g));
  CHECK_OK(cudaFree(d));
}

ISOLATED(two_setters) {
  cudaGraph_t g;
  cudaGraphCreate(&g, 0);
  cudaGraphConditionalHandle h;
  cudaGraphConditionalHandleCreate(&h, g, 0, 0);
  void* args[] = {&h};
  cudaKernelNodeParams k = {};
  k.func = reinterpret_cast<void*>(set_switch_everywhere);
  k.gridDim = dim3(1);
  k.blockDim = dim3(2);
  k.kernelParams = args;
  cudaGraphNode_t setter, node;
  cudaGraphAddKernelNode(&setter, g, nullptr, 0, &k);
  cudaGraphNodeParams params = {};
  params.type = cudaGraphNodeTypeConditional;
  params.conditional.handle = h;
  params.conditional.type = cudaGraphCondTypeSwitch;
  params.conditional.size = 1;
  cudaGraphAddNode(&node, g, &setter, nullptr, 1, &params);
  cudaGraphExec_t exec;
  std::printf("instantiate: %s\n", emu_test::text(cudaGraphInstantiate(&exec, g, 0)).c_str());
  cudaGraphLaunch(exec, nullptr);
  std::printf("sync: %s\n", emu_test::text(cudaDeviceSynchronize()).c_str());
}

void all() {
  basic_and_forks();
  forbidden_calls();
  switch_nodes();
  host_nodes();
  graph_races();
  emu_test::expect_child("two_setters", {"instantiate: cudaSuccess", "sync: cudaErrorLaunchFailure",
                                         "more than one thread", "set_switch_everywhere"}, __LINE__);
}
}  // namespace

int main(int argc, char** argv) { return emu_test::main(argc, argv, all); }
