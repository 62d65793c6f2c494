// kernels/runtime.cu and kernels/graph.cu through their C API (pvll_cuda.h, pvll_cuda_graph.h) on
// the emulated CUDA device: the caching allocator's error paths and its pools of captured graphs,
// and what a capture must refuse. Each check here failed before the fix it guards (the bug list
// is in kernels/dev/emu/README.md). Run by ctest (pvll_cuda_runtime_test).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "emu_test.h"
#include <thread>

#include "pvll.h"
#include "pvll_cuda.h"
#include "pvll_cuda_graph.h"
#include "pvll_cuda_layers.h"

extern "C" void emu_set_memory_limit(size_t bytes);
extern "C" size_t emu_memory_limit(void);

namespace {
#define OK(call)                                                                                  \
  do {                                                                                            \
    const int status_ = (call);                                                                   \
    ::emu_test::check(status_ == PVLL_OK, (std::string(#call) + ": " + pvll_cuda_last_error()).c_str(), __LINE__); \
  } while (0)

float* dev(int64_t n) {
  void* p = nullptr;
  OK(pvll_cuda_malloc(0, n * 4, &p));
  return static_cast<float*>(p);
}

std::vector<float> host(const float* d, int64_t n) {
  std::vector<float> h((size_t)n);
  OK(pvll_cuda_copy_to_host(0, d, h.data(), n));
  return h;
}

bool contains(const char* text, const char* part) { return std::strstr(text, part) != nullptr; }

/** A failed CUDA call must not leave its error behind for the next launch check to report. */
void failed_call_leaves_no_stale_error() {
  float* d = dev(100);
  std::vector<float> h(100, 1.f);
  CHECK(pvll_cuda_copy_to_device(0, h.data(), h.data(), 100) == PVLL_ERR_CUDA);  // host memory as the target
  OK(pvll_cuda_fill(0, d, 2.f, 100, nullptr));
  CHECK(host(d, 100)[99] == 2.f);
  OK(pvll_cuda_free(0, d));
}

int64_t in_use() {
  int64_t cached = 0, used = 0;
  OK(pvll_cuda_cached_bytes(0, &cached, &used));
  return used;
}

/** A block freed twice is an error that leaves the accounting alone. */
void double_free_keeps_the_count() {
  float* d = dev(1000);
  const int64_t before = in_use();
  OK(pvll_cuda_free(0, d));
  CHECK(pvll_cuda_free(0, d) == PVLL_ERR_INVALID_ARGUMENT && contains(pvll_cuda_last_error(), "already freed"));
  CHECK(in_use() == before - 4096);
}

/**
 * Destroying a graph gives back only the blocks its pool owns that were freed: a tensor made in
 * the capture and still held is not handed out again, and is freed normally later.
 */
void graph_destroy_keeps_held_blocks() {
  const int64_t base = in_use();
  OK(pvll_cuda_capture_begin(0, 0));
  float* held = dev(1000);
  float* temp = dev(1000);
  OK(pvll_cuda_fill(0, held, 1.f, 1000, nullptr));
  OK(pvll_cuda_fill(0, temp, 2.f, 1000, nullptr));
  OK(pvll_cuda_free(0, temp));
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));
  OK(pvll_cuda_graph_launch(graph, nullptr));
  OK(pvll_cuda_graph_destroy(graph));
  float* a = dev(1000);
  float* b = dev(1000);
  CHECK(a != held && b != held);  // the held block is not free
  OK(pvll_cuda_free(0, held));    // and frees normally
  OK(pvll_cuda_free(0, a));
  OK(pvll_cuda_free(0, b));
  CHECK(in_use() == base);
}

/** A block made before a capture and freed during it stays with the graph, which reads it at every replay. */
void block_freed_in_capture_stays_with_the_graph() {
  float* x = dev(1000);
  float* y = dev(1000);
  OK(pvll_cuda_fill(0, x, 3.f, 1000, nullptr));
  const float one = 1.f;
  float* alpha = dev(1);
  OK(pvll_cuda_copy_to_device(0, &one, alpha, 1));
  OK(pvll_cuda_capture_begin(0, 0));
  OK(pvll_cuda_scale_add_by(x, alpha, y, 1000, 0, nullptr));
  OK(pvll_cuda_free(0, x));  // closed during the capture
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));
  float* z = dev(1000);
  CHECK(z != x);  // x is the graph's now
  OK(pvll_cuda_fill(0, z, -7.f, 1000, nullptr));
  OK(pvll_cuda_graph_launch(graph, nullptr));
  CHECK(host(y, 1000)[5] == 3.f);
  OK(pvll_cuda_graph_destroy(graph));
  float* again = dev(1000);  // now x is free again
  OK(pvll_cuda_free(0, again));
  for (float* p : {y, z, alpha}) OK(pvll_cuda_free(0, p));
}

/** Out of memory in a capture: no cudaFree (it would break the capture), a plain out-of-memory error. */
void out_of_memory_in_a_capture() {
  OK(pvll_cuda_free(0, dev(1 << 20)));  // a cached free block that a release would cudaFree
  const size_t limit = emu_memory_limit();
  emu_set_memory_limit(64 << 20);
  OK(pvll_cuda_capture_begin(0, 0));
  float* small = dev(100);
  OK(pvll_cuda_fill(0, small, 1.f, 100, nullptr));
  void* big = nullptr;
  const int status = pvll_cuda_malloc(0, (int64_t)100 << 20, &big);
  CHECK(status == PVLL_ERR_OUT_OF_MEMORY && big == nullptr);
  CHECK(contains(pvll_cuda_last_error(), "capture"));
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));  // the capture is intact
  OK(pvll_cuda_graph_launch(graph, nullptr));
  OK(pvll_cuda_graph_destroy(graph));
  OK(pvll_cuda_free(0, small));
  emu_set_memory_limit(limit);
  OK(pvll_cuda_release_cache(0));
}

/** Synchronous copies and waits are refused inside a capture, clearly, and the capture goes on. */
void synchronous_calls_refused_in_a_capture() {
  float* d = dev(10);
  double* dd = static_cast<double*>(static_cast<void*>(dev(2)));
  std::vector<float> h(10, 1.f);
  double back = 0;
  OK(pvll_cuda_capture_begin(0, 0));
  OK(pvll_cuda_fill(0, d, 4.f, 10, nullptr));
  struct Refused {
    const char* what;
    int status;
  };
  const Refused calls[] = {
      {"copy_to_device", pvll_cuda_copy_to_device(0, h.data(), d, 10)},
      {"copy_to_host", pvll_cuda_copy_to_host(0, d, h.data(), 10)},
      {"synchronize", pvll_cuda_synchronize(0)},
      {"read_doubles", pvll_cuda_read_doubles(0, dd, &back, 1, nullptr)},
  };
  for (const Refused& r : calls) {
    ::emu_test::check(r.status == PVLL_ERR_INVALID_ARGUMENT, r.what, __LINE__);
  }
  CHECK(contains(pvll_cuda_last_error(), "capture"));
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));
  OK(pvll_cuda_graph_launch(graph, nullptr));
  CHECK(host(d, 10)[9] == 4.f);
  OK(pvll_cuda_graph_destroy(graph));
  OK(pvll_cuda_free(0, d));
  OK(pvll_cuda_free(0, (float*)dd));
}

/** Destroying a graph must not wait for the whole device: that breaks another thread's capture. */
void graph_destroy_leaves_other_captures_alone() {
  OK(pvll_cuda_capture_begin(0, 0));
  float* d = dev(10);
  OK(pvll_cuda_fill(0, d, 1.f, 10, nullptr));
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));
  OK(pvll_cuda_graph_launch(graph, nullptr));
  float* other = dev(10);
  void* other_graph = nullptr;
  int destroyed = -1;
  OK(pvll_cuda_capture_begin(0, 0));  // this thread captures while another destroys a graph
  OK(pvll_cuda_fill(0, other, 2.f, 10, nullptr));
  std::thread t([&] { destroyed = pvll_cuda_graph_destroy(graph); });
  t.join();
  CHECK(destroyed == PVLL_OK);
  OK(pvll_cuda_capture_end(0, &other_graph));
  OK(pvll_cuda_graph_launch(other_graph, nullptr));
  CHECK(host(other, 10)[0] == 2.f);
  OK(pvll_cuda_graph_destroy(other_graph));
  OK(pvll_cuda_free(0, d));
  OK(pvll_cuda_free(0, other));
}

/** Switches set at the root: one thread sets every handle (concurrent calls are undefined). */
ISOLATED(root_switches) {
  float* selectors = dev(3);
  float* out = dev(3);
  const float values[3] = {1, 0, 1};
  OK(pvll_cuda_copy_to_device(0, values, selectors, 3));
  OK(pvll_cuda_fill(0, out, 0.f, 3, nullptr));
  OK(pvll_cuda_capture_begin(0, PVLL_GRAPH_SWITCHES_AT_ROOT));
  for (int s = 0; s < 3; ++s) {
    OK(pvll_cuda_switch_begin(selectors + s, 2));
    for (int k = 0; k < 2; ++k) {
      OK(pvll_cuda_switch_case(k));
      OK(pvll_cuda_fill(0, out + s, (float)(10 * s + k), 1, nullptr));
    }
    OK(pvll_cuda_switch_end(2));
  }
  float* temp = dev(6);  // a block the size of the switch table, free in the graph's pool at the end
  OK(pvll_cuda_fill(0, temp, 5.f, 6, nullptr));
  OK(pvll_cuda_free(0, temp));
  void* graph = nullptr;
  OK(pvll_cuda_capture_end(0, &graph));
  OK(pvll_cuda_graph_launch(graph, nullptr));
  OK(pvll_cuda_graph_launch(graph, nullptr));  // the table must still be the table
  const auto got = host(out, 3);
  std::printf("values %g %g %g\n", got[0], got[1], got[2]);
  OK(pvll_cuda_graph_destroy(graph));
  std::printf("%d checks, %d failed\n", ::emu_test::checks, ::emu_test::failures);
}

void all() {
  failed_call_leaves_no_stale_error();
  double_free_keeps_the_count();
  graph_destroy_keeps_held_blocks();
  block_freed_in_capture_stays_with_the_graph();
  out_of_memory_in_a_capture();
  synchronous_calls_refused_in_a_capture();
  graph_destroy_leaves_other_captures_alone();
  ::emu_test::expect_child("root_switches", {"values 1 10 21", "0 failed"}, __LINE__);
}
}  // namespace

int main(int argc, char** argv) { return emu_test::main(argc, argv, all); }
