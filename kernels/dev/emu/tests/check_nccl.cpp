// kernels/nccl.cu on the emulated CUDA device against the emulated NCCL (kernels/dev/emu/nccl,
// which nccl.cu itself loads as libnccl.so.2 from this program's RUNPATH): ranks as threads, each
// with its own stream and device memory. Checks the version and the id; the non-blocking join;
// all-reduce of floats and doubles and a broadcast, enqueued on each rank's stream and waited for
// with pvll_cuda_nccl_wait; an all-reduce captured in a CUDA graph, summed at every replay; a rank
// that never joins (the other's init fails within its timeout); a rank that stops calling (the
// other's wait fails within its timeout and aborts, its stream is free again, later calls fail at
// once, destroy returns at once); ranks that call different collectives; an id from another
// process; bad arguments. What it cannot check: NCCL itself on GPUs
// (benchmarks/device/nccl-check.sh does, on a lent one). Run by ctest (check_nccl).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "emu_test.h"
#include "pvll_collectives.h"
#include "pvll_cuda.h"
#include "pvll_cuda_nccl.h"

namespace {
#define OK(call)                                                                                                     \
  do {                                                                                                               \
    const int status_ = (call);                                                                                      \
    ::emu_test::check(status_ == PVLL_OK, (std::string(#call) + ": " + pvll_cuda_last_error()).c_str(), __LINE__); \
  } while (0)

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

/** A rank's stream and device buffers. */
struct Rank {
  cudaStream_t stream = nullptr;
  float* f = nullptr;
  double* d = nullptr;
  Rank() {
    CHECK_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    CHECK_OK(cudaMalloc(&f, 1000 * sizeof(float)));
    CHECK_OK(cudaMalloc(&d, 3 * sizeof(double)));
  }
  ~Rank() {
    cudaStreamSynchronize(stream);
    cudaFree(f);
    cudaFree(d);
    cudaStreamDestroy(stream);
  }
  void put(const std::vector<float>& v) { CHECK_OK(cudaMemcpy(f, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice)); }
  std::vector<float> floats(size_t n) {
    std::vector<float> v(n);
    CHECK_OK(cudaMemcpy(v.data(), f, n * sizeof(float), cudaMemcpyDeviceToHost));
    return v;
  }
};

/** Two ranks' communicators on one id, made by two threads. */
void join(void* comm[2], double timeout) {
  char id[PVLL_NCCL_ID_BYTES];
  OK(pvll_cuda_nccl_unique_id(id));
  int status[2];
  std::thread t([&] { status[1] = pvll_cuda_nccl_init(0, 2, 1, id, timeout, &comm[1]); });
  status[0] = pvll_cuda_nccl_init(0, 2, 0, id, timeout, &comm[0]);
  t.join();
  CHECK(status[0] == PVLL_OK && status[1] == PVLL_OK && comm[0] && comm[1]);
}

void version() {
  int v = 0;
  OK(pvll_cuda_nccl_version(&v));
  CHECK(v == 22903);  // the emulated NCCL's, found through nccl.cu's dlopen
}

void sums_and_broadcast() {
  void* comm[2] = {nullptr, nullptr};
  join(comm, 5.0);
  Rank rank[2];
  const int n = 1000;
  int s[2][6];
  auto body = [&](int r) {
    std::vector<float> f(n);
    for (int i = 0; i < n; ++i) f[i] = (float)((r + 1) * (i % 100));
    rank[r].put(f);
    const double d[3] = {1e300 * (r + 1), -1.0 * r, 0.1 * (r + 1)};
    CHECK_OK(cudaMemcpy(rank[r].d, d, sizeof d, cudaMemcpyHostToDevice));
    s[r][0] = pvll_cuda_nccl_all_reduce_sum(comm[r], rank[r].f, n, 0, rank[r].stream);
    s[r][1] = pvll_cuda_nccl_all_reduce_sum(comm[r], rank[r].d, 3, 1, rank[r].stream);
    s[r][2] = pvll_cuda_nccl_wait(comm[r], rank[r].stream, 0);
  };
  std::thread t(body, 1);
  body(0);
  t.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(s[r][0] == PVLL_OK && s[r][1] == PVLL_OK && s[r][2] == PVLL_OK);
    const std::vector<float> f = rank[r].floats(n);
    bool exact = true;
    for (int i = 0; i < n; ++i) exact &= f[i] == (float)(3 * (i % 100));
    CHECK(exact);
    double d[3];
    CHECK_OK(cudaMemcpy(d, rank[r].d, sizeof d, cudaMemcpyDeviceToHost));
    CHECK(d[0] == 3e300 && d[1] == -1.0 && d[2] == 0.1 + 0.2);
  }
  auto broadcast = [&](int r) {
    if (r == 1) rank[r].put(std::vector<float>(n, 7.5f));
    s[r][3] = pvll_cuda_nccl_broadcast(comm[r], rank[r].f, n * 4, 1, rank[r].stream);
    s[r][4] = pvll_cuda_nccl_wait(comm[r], rank[r].stream, 0);
    s[r][5] = pvll_cuda_nccl_all_reduce_sum(comm[r], nullptr, 0, 0, rank[r].stream);  // nothing to sum
  };
  std::thread b(broadcast, 1);
  broadcast(0);
  b.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(s[r][3] == PVLL_OK && s[r][4] == PVLL_OK && s[r][5] == PVLL_OK);
    CHECK(rank[r].floats(n)[999] == 7.5f && rank[r].floats(n)[0] == 7.5f);
  }
  // a wait that saw the stream busy leaves no "not ready" behind for the next launch check
  CHECK_OK(cudaGetLastError());
  for (int r = 0; r < 2; ++r) OK(pvll_cuda_nccl_destroy(comm[r]));
}

void captured_in_a_graph() {
  void* comm[2] = {nullptr, nullptr};
  join(comm, 5.0);
  Rank rank[2];
  int status[2];
  auto body = [&](int r) {
    rank[r].put(std::vector<float>(64, r == 0 ? 1.f : 2.f));
    CHECK_OK(cudaStreamSynchronize(rank[r].stream));
    cudaGraph_t g = nullptr;
    cudaGraphExec_t exec = nullptr;
    CHECK_OK(cudaStreamBeginCapture(rank[r].stream, cudaStreamCaptureModeThreadLocal));
    status[r] = pvll_cuda_nccl_all_reduce_sum(comm[r], rank[r].f, 64, 0, rank[r].stream);
    CHECK_OK(cudaStreamEndCapture(rank[r].stream, &g));
    CHECK_OK(cudaGraphInstantiate(&exec, g, 0));
    for (int k = 0; k < 3; ++k) CHECK_OK(cudaGraphLaunch(exec, rank[r].stream));
    status[r] |= pvll_cuda_nccl_wait(comm[r], rank[r].stream, 0);
    CHECK_OK(cudaGraphExecDestroy(exec));
    CHECK_OK(cudaGraphDestroy(g));
  };
  std::thread t(body, 1);
  body(0);
  t.join();
  // three replays, each the sum of both ranks' values: 1 + 2 = 3, 3 + 3 = 6, 6 + 6 = 12
  for (int r = 0; r < 2; ++r) {
    CHECK(status[r] == PVLL_OK);
    const std::vector<float> f = rank[r].floats(64);
    CHECK(f[0] == 12.f && f[63] == 12.f);
  }
  for (int r = 0; r < 2; ++r) OK(pvll_cuda_nccl_destroy(comm[r]));
}

void rank_never_joins() {
  char id[PVLL_NCCL_ID_BYTES];
  OK(pvll_cuda_nccl_unique_id(id));
  void* comm = nullptr;
  const double t0 = now();
  const int status = pvll_cuda_nccl_init(0, 2, 0, id, 0.5, &comm);
  const double waited = now() - t0;
  const std::string message = pvll_cuda_last_error();
  CHECK(status == PVLL_ERR_COLLECTIVE && comm == nullptr);
  CHECK(contains(message, "ncclCommInitRankConfig on rank 0 of 2 did not complete within the timeout of 0.5 s"));
  CHECK(waited >= 0.45 && waited < 2.0);
}

void rank_stops_calling() {
  void* comm[2] = {nullptr, nullptr};
  join(comm, 0.5);
  Rank rank;
  rank.put(std::vector<float>(16, 1.f));
  OK(pvll_cuda_nccl_all_reduce_sum(comm[0], rank.f, 16, 0, rank.stream));  // returns at once
  CHECK_ERR(cudaStreamQuery(rank.stream), cudaErrorNotReady);  // busy while rank 1 is missing
  cudaGetLastError();
  const double t0 = now();
  const int status = pvll_cuda_nccl_wait(comm[0], rank.stream, 0);
  const double waited = now() - t0;
  const std::string message = pvll_cuda_last_error();
  CHECK(status == PVLL_ERR_COLLECTIVE);
  CHECK(contains(message, "did not complete within the timeout of 0.5 s")
        && contains(message, "another rank has probably died; the communicator was aborted"));
  CHECK(waited >= 0.45 && waited < 2.0);
  CHECK_OK(cudaStreamSynchronize(rank.stream));  // the abort ended the waiting work
  const double t1 = now();
  CHECK(pvll_cuda_nccl_all_reduce_sum(comm[0], rank.f, 16, 0, rank.stream) == PVLL_ERR_COLLECTIVE);
  CHECK(contains(pvll_cuda_last_error(), "unusable after an earlier failure") && now() - t1 < 0.1);
  const double t2 = now();
  pvll_cuda_nccl_destroy(comm[0]);
  CHECK(now() - t2 < 0.1);  // destroying a broken communicator does not wait
  OK(pvll_cuda_nccl_abort(comm[1]));
  pvll_cuda_nccl_destroy(comm[1]);
}

void ranks_call_different_collectives() {
  void* comm[2] = {nullptr, nullptr};
  join(comm, 1.0);
  Rank rank[2];
  int status[2];
  std::string message[2];
  auto body = [&](int r) {
    status[r] = pvll_cuda_nccl_all_reduce_sum(comm[r], rank[r].f, r == 0 ? 16 : 32, 0, rank[r].stream);
    status[r] |= pvll_cuda_nccl_wait(comm[r], rank[r].stream, 0);
    message[r] = pvll_cuda_last_error();
  };
  std::thread t(body, 1);
  body(0);
  t.join();
  // the second to arrive sees the difference; the first then waits in vain until its timeout
  CHECK(status[0] == PVLL_ERR_COLLECTIVE && status[1] == PVLL_ERR_COLLECTIVE);
  CHECK(contains(message[0] + message[1], "differs from another rank's"));
  for (int r = 0; r < 2; ++r) pvll_cuda_nccl_destroy(comm[r]);
}

void id_of_another_process() {
  char id[PVLL_NCCL_ID_BYTES] = {};
  std::snprintf(id, sizeof id, "emulated-nccl %ld 1", 1L);  // pid 1: never this test
  void* comm = nullptr;
  CHECK(pvll_cuda_nccl_init(0, 2, 0, id, 1.0, &comm) == PVLL_ERR_COLLECTIVE && comm == nullptr);
  CHECK(contains(pvll_cuda_last_error(), "failed on rank 0 of 2") && contains(pvll_cuda_last_error(), "ranks are threads of one process"));
}

void bad_arguments() {
  void* comm = nullptr;
  char id[PVLL_NCCL_ID_BYTES] = {};
  CHECK(pvll_cuda_nccl_init(0, 2, 2, id, 1.0, &comm) == PVLL_ERR_INVALID_ARGUMENT);  // rank 2 of 2
  CHECK(pvll_cuda_nccl_all_reduce_sum(nullptr, nullptr, 1, 0, nullptr) == PVLL_ERR_INVALID_ARGUMENT);
  CHECK(pvll_cuda_nccl_wait(nullptr, nullptr, 0) == PVLL_ERR_INVALID_ARGUMENT);
}

void all() {
  version();
  sums_and_broadcast();
  captured_in_a_graph();
  rank_never_joins();
  rank_stops_calling();
  ranks_call_different_collectives();
  id_of_another_process();
  bad_arguments();
}
}  // namespace

int main(int argc, char** argv) { return emu_test::main(argc, argv, all); }
