// Memory, streams and events on the emulated CUDA device: fresh device memory reads as NaN; copies
// must match their direction and stay inside their blocks; the memory limit gives
// cudaErrorMemoryAllocation; work really runs asynchronously (a kernel held at a gate keeps
// everything behind it on its stream, and what waits for it, from running); the legacy default
// stream waits for blocking streams and they for it, non-blocking streams for neither; events
// order streams and answer queries; a copy from pageable memory is staged at the call; two
// streams touching one block without an event or synchronisation between them is a race, refused
// at once; host functions run in stream order and hold their stream while they run. Built through
// the emulator's transform; run by ctest (emu_streams_test).
#include <chrono>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "emu_test.h"

extern "C" void emu_set_memory_limit(size_t bytes);
extern "C" size_t emu_memory_limit(void);

namespace {
__global__ void gate_kernel(const volatile int* open) {
  while (*open == 0) {
  }
}

__global__ void write_kernel(float* out, float v, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = v;
}

__global__ void read_kernel(const float* in, float* out, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = in[i] + 1.f;
}

/** A kernel held until the host opens its gate. */
struct Gate {
  volatile int* flag = nullptr;
  Gate() {
    CHECK_OK(cudaHostAlloc((void**)&flag, sizeof(int), 0));
    *flag = 0;
  }
  void hold(cudaStream_t s) { gate_kernel<<<1, 1, 0, s>>>(flag); }
  void open() { *flag = 1; }
  ~Gate() { cudaFreeHost((void*)flag); }
};

void pause() { usleep(30 * 1000); }

void memory() {
  float* d;
  CHECK_OK(cudaMalloc(&d, 100 * sizeof(float)));
  std::vector<float> h(100, 0.f);
  CHECK_OK(cudaMemcpy(h.data(), d, 100 * sizeof(float), cudaMemcpyDeviceToHost));
  bool all_nan = true;
  for (float v : h) all_nan = all_nan && std::isnan(v);
  CHECK(all_nan);
  CHECK_ERR(cudaMemcpy(h.data(), d, 4, cudaMemcpyHostToDevice), cudaErrorInvalidValue);  // dst is host memory
  CHECK_ERR(cudaMemcpy(d, h.data(), 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  CHECK_ERR(cudaMemcpy(d + 90, h.data(), 11 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  CHECK_OK(cudaMemcpy(d + 90, h.data(), 10 * sizeof(float), cudaMemcpyDefault));
  CHECK_ERR(cudaFree(h.data()), cudaErrorInvalidValue);
  const size_t limit = emu_memory_limit();
  emu_set_memory_limit(1 << 20);
  void* big = nullptr;
  CHECK_ERR(cudaMalloc(&big, 2 << 20), cudaErrorMemoryAllocation);
  CHECK(big == nullptr);
  emu_set_memory_limit(limit);
  CHECK_OK(cudaFree(d));
  CHECK_ERR(cudaFree(d), cudaErrorInvalidValue);  // freed twice
}

void asynchronous() {
  cudaStream_t a;
  CHECK_OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
  float *d, *pinned;
  CHECK_OK(cudaMalloc(&d, 64 * sizeof(float)));
  CHECK_OK(cudaHostAlloc(&pinned, 64 * sizeof(float), 0));
  std::memset(pinned, 0, 64 * sizeof(float));
  Gate gate;
  write_kernel<<<1, 64, 0, a>>>(d, 3.f, 64);
  gate.hold(a);
  CHECK_OK(cudaMemcpyAsync(pinned, d, 64 * sizeof(float), cudaMemcpyDeviceToHost, a));
  pause();
  CHECK(pinned[7] == 0.f);  // held behind the gate
  CHECK_ERR(cudaStreamQuery(a), cudaErrorNotReady);
  CHECK_ERR(cudaGetLastError(), cudaErrorNotReady);  // as the real runtime, "not ready" is the last error
  CHECK_OK(cudaGetLastError());
  gate.open();
  CHECK_OK(cudaStreamSynchronize(a));
  CHECK(pinned[7] == 3.f && pinned[63] == 3.f);
  // pageable host memory: a host-to-device copy is staged at the call
  Gate g2;
  g2.hold(a);
  std::vector<float> src(64, 5.f);
  CHECK_OK(cudaMemcpyAsync(d, src.data(), 64 * sizeof(float), cudaMemcpyHostToDevice, a));
  src.assign(64, -1.f);
  g2.open();
  CHECK_OK(cudaMemcpyAsync(pinned, d, 64 * sizeof(float), cudaMemcpyDeviceToHost, a));
  CHECK_OK(cudaStreamSynchronize(a));
  CHECK(pinned[0] == 5.f);
  CHECK_OK(cudaFree(d));
  CHECK_OK(cudaFreeHost(pinned));
  CHECK_OK(cudaStreamDestroy(a));
  CHECK_ERR(cudaStreamSynchronize(a), cudaErrorInvalidResourceHandle);
  CHECK_ERR(cudaStreamSynchronize(cudaStreamPerThread), cudaErrorNotSupported);
}

void legacy_stream() {
  cudaStream_t blocking, nonblocking;
  CHECK_OK(cudaStreamCreate(&blocking));
  CHECK_OK(cudaStreamCreateWithFlags(&nonblocking, cudaStreamNonBlocking));
  float* pinned;
  CHECK_OK(cudaHostAlloc(&pinned, 64 * sizeof(float), 0));
  std::memset(pinned, 0, 64 * sizeof(float));
  {  // the legacy stream waits for a blocking stream
    Gate gate;
    gate.hold(blocking);
    write_kernel<<<1, 64>>>(pinned, 1.f, 64);
    pause();
    CHECK(pinned[0] == 0.f);
    gate.open();
    CHECK_OK(cudaDeviceSynchronize());
    CHECK(pinned[0] == 1.f);
  }
  {  // a blocking stream waits for the legacy stream
    Gate gate;
    gate.hold(nullptr);
    write_kernel<<<1, 64, 0, blocking>>>(pinned, 2.f, 64);
    pause();
    CHECK(pinned[0] == 1.f);
    gate.open();
    CHECK_OK(cudaDeviceSynchronize());
    CHECK(pinned[0] == 2.f);
  }
  {  // a non-blocking stream takes no part
    Gate gate;
    gate.hold(nonblocking);
    write_kernel<<<1, 64>>>(pinned, 4.f, 64);
    CHECK_OK(cudaStreamSynchronize(nullptr));
    CHECK(pinned[0] == 4.f);
    gate.open();
    CHECK_OK(cudaStreamSynchronize(nonblocking));
  }
  CHECK_OK(cudaFreeHost(pinned));
  CHECK_OK(cudaStreamDestroy(blocking));
  CHECK_OK(cudaStreamDestroy(nonblocking));
}

void events() {
  cudaStream_t a, b;
  CHECK_OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
  CHECK_OK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
  cudaEvent_t e, t0, t1;
  CHECK_OK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  CHECK_OK(cudaEventCreate(&t0));
  CHECK_OK(cudaEventCreate(&t1));
  CHECK_OK(cudaEventQuery(e));  // never recorded: no work
  float* pinned;
  CHECK_OK(cudaHostAlloc(&pinned, 64 * sizeof(float), 0));
  std::memset(pinned, 0, 64 * sizeof(float));
  Gate gate;
  CHECK_OK(cudaEventRecord(t0, a));
  gate.hold(a);
  CHECK_OK(cudaEventRecord(e, a));
  CHECK_OK(cudaStreamWaitEvent(b, e, 0));
  write_kernel<<<1, 64, 0, b>>>(pinned, 6.f, 64);
  // t0 stamped (it precedes the gate), then the host holds the gate: t1 - t0 covers at least the
  // host's time between the two, whenever the busy machine lets the stream's thread run
  CHECK_OK(cudaEventSynchronize(t0));
  const auto held_from = std::chrono::steady_clock::now();
  pause();
  CHECK(pinned[0] == 0.f);
  CHECK_ERR(cudaEventQuery(e), cudaErrorNotReady);
  cudaGetLastError();
  const float held_ms = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - held_from).count();
  gate.open();
  CHECK_OK(cudaEventSynchronize(e));
  CHECK_OK(cudaEventRecord(t1, a));
  CHECK_OK(cudaStreamSynchronize(b));
  CHECK(pinned[0] == 6.f);
  float ms = -1;
  CHECK_OK(cudaEventSynchronize(t1));
  CHECK_OK(cudaEventElapsedTime(&ms, t0, t1));
  CHECK(held_ms >= 25.f && ms >= held_ms - 0.5f);  // the gate was held for the pause at least
  CHECK_ERR(cudaEventElapsedTime(&ms, e, t1), cudaErrorInvalidResourceHandle);  // e has no timing
  for (cudaEvent_t x : {e, t0, t1}) CHECK_OK(cudaEventDestroy(x));
  CHECK_OK(cudaFreeHost(pinned));
  CHECK_OK(cudaStreamDestroy(a));
  CHECK_OK(cudaStreamDestroy(b));
}

/** Host functions run in stream order; one that blocks keeps its stream busy and what follows waiting. */
void host_functions() {
  cudaStream_t a;
  CHECK_OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
  float *d, *pinned;
  CHECK_OK(cudaMalloc(&d, 64 * sizeof(float)));
  CHECK_OK(cudaHostAlloc(&pinned, 64 * sizeof(float), 0));
  std::memset(pinned, 0, 64 * sizeof(float));
  struct Seen {
    const float* pinned;
    float value = -1.f;
    volatile int open = 0;
  } seen{pinned};
  write_kernel<<<1, 64, 0, a>>>(d, 4.f, 64);
  CHECK_OK(cudaMemcpyAsync(pinned, d, 64 * sizeof(float), cudaMemcpyDeviceToHost, a));
  // runs after the copy: sees its result; then holds the stream until the host opens it
  CHECK_OK(cudaLaunchHostFunc(a, [](void* p) {
    auto* s = static_cast<Seen*>(p);
    s->value = s->pinned[63];
    while (s->open == 0) usleep(1000);
  }, &seen));
  write_kernel<<<1, 64, 0, a>>>(d, 6.f, 64);
  CHECK_OK(cudaMemcpyAsync(pinned, d, 64 * sizeof(float), cudaMemcpyDeviceToHost, a));
  pause();
  CHECK(seen.value == 4.f);
  CHECK(pinned[0] == 4.f);  // the work after the host function waits for it
  CHECK_ERR(cudaStreamQuery(a), cudaErrorNotReady);
  cudaGetLastError();
  seen.open = 1;
  CHECK_OK(cudaStreamSynchronize(a));
  CHECK(pinned[0] == 6.f);
  CHECK_ERR(cudaLaunchHostFunc(a, nullptr, nullptr), cudaErrorInvalidValue);
  CHECK_OK(cudaFree(d));
  CHECK_OK(cudaFreeHost(pinned));
  CHECK_OK(cudaStreamDestroy(a));
}

void races() {
  cudaStream_t a, b;
  CHECK_OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
  CHECK_OK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
  float *buf, *out;
  CHECK_OK(cudaMalloc(&buf, 256 * sizeof(float)));
  CHECK_OK(cudaMalloc(&out, 256 * sizeof(float)));
  cudaEvent_t e;
  CHECK_OK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  CHECK_OK(cudaDeviceSynchronize());
  // a missing wait: found when the second stream's work is enqueued, whatever the timing
  write_kernel<<<1, 256, 0, a>>>(buf, 1.f, 256);
  read_kernel<<<1, 256, 0, b>>>(buf, out, 256);
  const cudaError_t race = cudaGetLastError();
  CHECK(race == cudaErrorIllegalState && std::strstr(cudaGetErrorString(race), "race") != nullptr);
  CHECK_ERR(cudaMemcpyAsync(buf, out, 256 * sizeof(float), cudaMemcpyDeviceToDevice, b), cudaErrorIllegalState);
  cudaGetLastError();
  // ordered by an event: fine
  CHECK_OK(cudaEventRecord(e, a));
  CHECK_OK(cudaStreamWaitEvent(b, e, 0));
  read_kernel<<<1, 256, 0, b>>>(buf, out, 256);
  CHECK_OK(cudaGetLastError());
  // ordered by the host: fine
  write_kernel<<<1, 256, 0, a>>>(out, 2.f, 256);
  const cudaError_t second = cudaGetLastError();
  CHECK(second == cudaErrorIllegalState);
  CHECK_OK(cudaStreamSynchronize(b));
  write_kernel<<<1, 256, 0, a>>>(out, 2.f, 256);
  CHECK_OK(cudaGetLastError());
  CHECK_OK(cudaDeviceSynchronize());
  CHECK_OK(cudaEventDestroy(e));
  CHECK_OK(cudaFree(buf));
  CHECK_OK(cudaFree(out));
  CHECK_OK(cudaStreamDestroy(a));
  CHECK_OK(cudaStreamDestroy(b));
}

void all() {
  memory();
  asynchronous();
  legacy_stream();
  events();
  host_functions();
  races();
}
}  // namespace

int main(int argc, char** argv) { return emu_test::main(argc, argv, all); }
