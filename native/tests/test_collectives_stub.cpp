// The collectives stub (native/collectives/no_mpi.cpp, what libpvll_mpi.so is when CMake finds no
// MPI), compiled into this test whatever the build found: every collective fails with
// PVLL_ERR_UNAVAILABLE and one line that names the reason, abort and finalize are harmless.
#include <cstdio>
#include <cstring>

#include "../collectives/no_mpi.cpp"

namespace {
int expect_unavailable(const char* what, int status) {
  const char* message = pvll_coll_last_error();
  const bool ok = status == PVLL_ERR_UNAVAILABLE && std::strstr(message, what) == message &&
                  std::strstr(message, "this pvll was built without MPI") && !std::strchr(message, '\n');
  std::printf("%s %s: status %d, \"%s\"\n", ok ? "ok  " : "FAIL", what, status, message);
  return ok ? 0 : 1;
}
}  // namespace

int main() {
  int failures = 0;
  int rank = -1, size = -1, local = -1;
  float f[2] = {1, 2};
  double d[2] = {1, 2};
  failures += expect_unavailable("pvll_coll_init", pvll_coll_init(1.0, &rank, &size, &local));
  failures += expect_unavailable("pvll_coll_set_timeout", pvll_coll_set_timeout(1.0));
  failures += expect_unavailable("pvll_coll_all_reduce_sum_float", pvll_coll_all_reduce_sum_float(f, 2));
  failures += expect_unavailable("pvll_coll_all_reduce_sum_double", pvll_coll_all_reduce_sum_double(d, 2));
  failures += expect_unavailable("pvll_coll_broadcast", pvll_coll_broadcast(f, 8, 0));
  failures += expect_unavailable("pvll_coll_barrier", pvll_coll_barrier());
  const bool harmless = pvll_coll_abort("test") == PVLL_OK && pvll_coll_finalize() == PVLL_OK;
  std::printf("%s abort and finalize return PVLL_OK\n", harmless ? "ok  " : "FAIL");
  failures += harmless ? 0 : 1;
  const bool status_ok = std::strncmp(pvll_coll_build_status(), "stub:", 5) == 0;
  std::printf("%s build status \"%s\"\n", status_ok ? "ok  " : "FAIL", pvll_coll_build_status());
  failures += status_ok ? 0 : 1;
  std::printf(failures ? "FAILED (%d)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
