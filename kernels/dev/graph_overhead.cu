// Measures what a captured graph's nodes cost per replay on the GPU, to choose how the search
// step picks each edge's op (kernels/graph.cu): a chain of N small kernels, the same with each
// kernel behind a switch node set by a one-thread kernel (PVLL's default), behind a switch set
// by one kernel at the root (PVLL_GRAPH_SWITCHES_AT_ROOT), and N kernels that each read the op
// index and return at once unless chosen (predication, 8 per edge as in the supernet). Uses the
// library's own capture API, so a failure here names the call that failed.
//   bash kernels/dev/build.sh 90 OUT && OUT/graph_overhead [N, default 300]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "pvll_cuda.h"

namespace {
__global__ void tiny_kernel(float* y, int n, float v) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = y[i] * 0.5f + v;
}

__global__ void predicated_kernel(float* y, int n, const float* op, int mine) {
  if ((int)*op != mine) return;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = y[i] * 0.5f + 1.f;
}

int check(const char* what, int status) {
  if (status != PVLL_OK) {
    std::printf("FAIL %s: %s\n", what, pvll_cuda_last_error());
    std::exit(1);
  }
  return status;
}

/** Microseconds per replay of graph, median of 20 timed replays after 3. */
double time_graph(void* graph) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  std::vector<float> us;
  for (int r = 0; r < 23; ++r) {
    cudaEventRecord(a, 0);
    check("launch", pvll_cuda_graph_launch(graph, nullptr));
    cudaEventRecord(b, 0);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    if (r >= 3) us.push_back(ms * 1000.f);
  }
  std::sort(us.begin(), us.end());
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return us[us.size() / 2];
}
/** The stream the capture API has this thread capture on now (main or a case body). */
cudaStream_t current() {
  void* s = nullptr;
  check("get_thread_stream", pvll_cuda_get_thread_stream(&s));
  return (cudaStream_t)s;
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  const int elements = 64 * 16 * 32 * 32 / 16;  // a small op's worth of work
  float *y = nullptr, *op = nullptr;
  if (cudaMalloc(&y, elements * sizeof(float)) != cudaSuccess || cudaMalloc(&op, sizeof(float)) != cudaSuccess) {
    std::printf("FAIL cudaMalloc\n");
    return 1;
  }
  cudaMemset(y, 0, elements * sizeof(float));
  const float three = 3.f;
  cudaMemcpy(op, &three, sizeof(float), cudaMemcpyHostToDevice);
  const dim3 grid((elements + 255) / 256), block(256);
  struct Row {
    const char* name;
    double us;
  };
  std::vector<Row> rows;
  void* g = nullptr;

  check("capture", pvll_cuda_capture_begin(0, 0));
  for (int k = 0; k < n; ++k) tiny_kernel<<<grid, block, 0, current()>>>(y, elements, 1.f);
  check("end", pvll_cuda_capture_end(0, &g));
  rows.push_back({"plain kernels", time_graph(g)});
  pvll_cuda_graph_destroy(g);

  for (int flags : {0, PVLL_GRAPH_SWITCHES_AT_ROOT}) {
    check("capture", pvll_cuda_capture_begin(0, flags));
    for (int k = 0; k < n; ++k) {
      check("switch", pvll_cuda_switch_begin(op, 8));
      for (int c = 0; c < 8; ++c) {
        check("case", pvll_cuda_switch_case(c));
        tiny_kernel<<<grid, block, 0, current()>>>(y, elements, (float)c);
      }
      check("switch end", pvll_cuda_switch_end(8));
    }
    check("end", pvll_cuda_capture_end(0, &g));
    rows.push_back({flags ? "switch, set at root" : "switch, set each", time_graph(g)});
    pvll_cuda_graph_destroy(g);
  }

  check("capture", pvll_cuda_capture_begin(0, 0));
  for (int k = 0; k < n; ++k) {
    for (int c = 0; c < 8; ++c) predicated_kernel<<<grid, block, 0, current()>>>(y, elements, op, c);
  }
  check("end", pvll_cuda_capture_end(0, &g));
  rows.push_back({"8 predicated kernels", time_graph(g)});
  pvll_cuda_graph_destroy(g);

  std::printf("graph_overhead: %d edges, one small kernel each (%d floats)\n", n, elements);
  for (const Row& r : rows) std::printf("graph %-22s %9.1f us per replay, %6.2f us per edge\n", r.name, r.us, r.us / n);
  return 0;
}
