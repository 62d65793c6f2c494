// kernels/nccl.cu under the host emulation, against the fake NCCL (fake_nccl.cpp, loaded by
// nccl.cu itself as libnccl.so.2): two ranks as two threads. Checks the version and the id; the
// non-blocking join; all-reduce of floats and doubles and a broadcast, enqueued on each rank's
// stream and waited for with pvll_cuda_nccl_wait; a rank that never joins (the other's init
// fails within its timeout); a rank that stops calling (the other's wait fails within its
// timeout and aborts, later calls fail at once, destroy returns at once); bad arguments. What it
// cannot check: NCCL itself, real streams and graphs (benchmarks/device/nccl-check.sh does, on a
// GPU). Run by check.sh (NcclEmulationTest runs check.sh in mvn test).
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cuda_runtime.h"
#include "pvll_collectives.h"
#include "pvll_cuda.h"
#include "pvll_cuda_nccl.h"

namespace {
int checks = 0, failures = 0;

void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL %s (last error: %s)\n", what.c_str(), pvll_cuda_last_error());
  }
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

/** Two ranks' communicators on one id, made by two threads. */
void join(void* comm[2], double timeout) {
  char id[PVLL_NCCL_ID_BYTES];
  expect(pvll_cuda_nccl_unique_id(id) == PVLL_OK, "unique id");
  int status[2];
  std::thread t([&] { status[1] = pvll_cuda_nccl_init(0, 2, 1, id, timeout, &comm[1]); });
  status[0] = pvll_cuda_nccl_init(0, 2, 0, id, timeout, &comm[0]);
  t.join();
  expect(status[0] == PVLL_OK && status[1] == PVLL_OK && comm[0] && comm[1], "two ranks join");
}
}  // namespace

int main() {
  // nccl.cu opens libnccl.so.2 (the fake) on first use; the check opens the same library to
  // connect the emulated cudaStreamQuery to its pending collectives
  int version = 0;
  expect(pvll_cuda_nccl_version(&version) == PVLL_OK && version == 22903, "version through dlopen: " + std::to_string(version));
  void* fake = dlopen("libnccl.so.2", RTLD_NOW | RTLD_NOLOAD);
  emu::stream_busy = fake ? reinterpret_cast<int (*)(void*)>(dlsym(fake, "fake_nccl_stream_busy")) : nullptr;
  expect(emu::stream_busy != nullptr, "the fake NCCL is the library nccl.cu loaded");

  {  // all-reduce and broadcast on each rank's stream
    void* comm[2] = {nullptr, nullptr};
    join(comm, 5.0);
    const int n = 1000;
    std::vector<float> f[2];
    std::vector<double> d[2];
    int streams[2];  // any distinct addresses serve as emulated streams
    int s[2][6];
    auto rank = [&](int r) {
      f[r].resize(n);
      d[r].resize(3);
      for (int i = 0; i < n; ++i) f[r][i] = (r + 1) * (i % 100);
      d[r] = {1e300 * (r + 1), -1.0 * r, 0.1 * (r + 1)};
      s[r][0] = pvll_cuda_nccl_all_reduce_sum(comm[r], f[r].data(), n, 0, &streams[r]);
      s[r][1] = pvll_cuda_nccl_all_reduce_sum(comm[r], d[r].data(), 3, 1, &streams[r]);
      s[r][2] = pvll_cuda_nccl_wait(comm[r], &streams[r], 0);
      if (r == 1) for (int i = 0; i < n; ++i) f[r][i] = 7.5f;
      s[r][3] = pvll_cuda_nccl_broadcast(comm[r], f[r].data(), n * 4, 1, &streams[r]);
      s[r][4] = pvll_cuda_nccl_wait(comm[r], &streams[r], 0);
      s[r][5] = pvll_cuda_nccl_all_reduce_sum(comm[r], nullptr, 0, 0, &streams[r]);  // nothing to sum
    };
    std::thread t(rank, 1);
    rank(0);
    t.join();
    for (int r = 0; r < 2; ++r) {
      for (int k = 0; k < 6; ++k) expect(s[r][k] == PVLL_OK, "rank " + std::to_string(r) + " call " + std::to_string(k));
      bool exact = true;
      for (int i = 0; i < n; ++i) exact &= f[r][i] == 7.5f;
      expect(exact, "rank " + std::to_string(r) + ": broadcast from rank 1 after the sum");
      expect(d[r][0] == 3e300 && d[r][1] == -1.0 && d[r][2] == 0.1 + 0.2, "rank " + std::to_string(r) + ": double sum");
    }
    for (int r = 0; r < 2; ++r) expect(pvll_cuda_nccl_destroy(comm[r]) == PVLL_OK, "destroy a healthy communicator");
  }
  {  // the float sum itself (the broadcast above overwrote it)
    void* comm[2] = {nullptr, nullptr};
    join(comm, 5.0);
    std::vector<float> f[2];
    int streams[2], st[2];
    std::thread t([&] {
      f[1].assign(64, 2.5f);
      st[1] = pvll_cuda_nccl_all_reduce_sum(comm[1], f[1].data(), 64, 0, &streams[1]) | pvll_cuda_nccl_wait(comm[1], &streams[1], 0);
    });
    f[0].assign(64, 1.25f);
    st[0] = pvll_cuda_nccl_all_reduce_sum(comm[0], f[0].data(), 64, 0, &streams[0]) | pvll_cuda_nccl_wait(comm[0], &streams[0], 0);
    t.join();
    expect(st[0] == PVLL_OK && st[1] == PVLL_OK && f[0][63] == 3.75f && f[1][0] == 3.75f, "float sum 1.25 + 2.5");
    for (int r = 0; r < 2; ++r) pvll_cuda_nccl_destroy(comm[r]);
  }
  {  // a rank that never joins: init fails within its timeout
    char id[PVLL_NCCL_ID_BYTES];
    pvll_cuda_nccl_unique_id(id);
    void* comm = nullptr;
    const double t0 = now();
    const int status = pvll_cuda_nccl_init(0, 2, 0, id, 0.5, &comm);
    const double waited = now() - t0;
    const std::string message = pvll_cuda_last_error();
    expect(status == PVLL_ERR_COLLECTIVE && comm == nullptr, "init without the other rank fails");
    expect(message.find("ncclCommInitRankConfig on rank 0 of 2 did not complete within the timeout of 0.5 s") != std::string::npos,
           "init's message: " + message);
    expect(waited >= 0.45 && waited < 2.0, "init waited " + std::to_string(waited) + " s for a 0.5 s timeout");
  }
  {  // a rank that stops calling: the other's wait fails within the timeout, aborts, and stays failed
    void* comm[2] = {nullptr, nullptr};
    join(comm, 0.5);
    std::vector<float> x(16, 1.f);
    int stream;
    expect(pvll_cuda_nccl_all_reduce_sum(comm[0], x.data(), 16, 0, &stream) == PVLL_OK, "enqueue returns at once");
    expect(cudaStreamQuery(&stream) == cudaErrorNotReady, "the stream is busy while rank 1 is missing");
    const double t0 = now();
    const int status = pvll_cuda_nccl_wait(comm[0], &stream, 0);
    const double waited = now() - t0;
    const std::string message = pvll_cuda_last_error();
    expect(status == PVLL_ERR_COLLECTIVE, "the wait fails");
    expect(message.find("did not complete within the timeout of 0.5 s") != std::string::npos
               && message.find("another rank has probably died; the communicator was aborted") != std::string::npos,
           "the wait's message: " + message);
    expect(waited >= 0.45 && waited < 2.0, "the wait took " + std::to_string(waited) + " s for a 0.5 s timeout");
    expect(cudaStreamQuery(&stream) == cudaSuccess, "the abort freed the stream");
    const double t1 = now();
    const int again = pvll_cuda_nccl_all_reduce_sum(comm[0], x.data(), 16, 0, &stream);
    expect(again == PVLL_ERR_COLLECTIVE && std::string(pvll_cuda_last_error()).find("unusable after an earlier failure") != std::string::npos
               && now() - t1 < 0.1, "a later call fails at once: " + std::string(pvll_cuda_last_error()));
    const double t2 = now();
    pvll_cuda_nccl_destroy(comm[0]);
    expect(now() - t2 < 0.1, "destroying a broken communicator does not wait");
    pvll_cuda_nccl_abort(comm[1]);
    pvll_cuda_nccl_destroy(comm[1]);
  }
  {  // arguments are checked before NCCL sees them
    void* comm = nullptr;
    char id[PVLL_NCCL_ID_BYTES] = {};
    expect(pvll_cuda_nccl_init(0, 2, 2, id, 1.0, &comm) == PVLL_ERR_INVALID_ARGUMENT, "rank 2 of 2 refused");
    expect(pvll_cuda_nccl_all_reduce_sum(nullptr, nullptr, 1, 0, nullptr) == PVLL_ERR_INVALID_ARGUMENT, "NULL buffer refused");
    expect(pvll_cuda_nccl_wait(nullptr, nullptr, 0) == PVLL_ERR_INVALID_ARGUMENT, "NULL communicator refused");
  }
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
