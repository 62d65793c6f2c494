// libpvll_mpi.so for builds where CMake found no MPI: every function of pvll_collectives.h exists
// (so the JNI glue links) and fails with PVLL_ERR_UNAVAILABLE and a one-line reason. A world of
// one process needs no library: dev.pvll.kernels.Collectives.single() never calls this one.
// Checked by native/tests/test_collectives_stub.cpp (compiled into it in every build) and by
// java/src/test/java/dev/pvll/kernels/CollectivesTest.java (through Java, in a stub build).
#include <cstdio>

#include "pvll_collectives.h"

namespace {
thread_local char last_error[256] = "";

const char* const kReason =
    "this pvll was built without MPI (CMake found none: install libopenmpi-dev, or the MPI of your cluster, and "
    "rebuild)";

int no_mpi(const char* function) {
  std::snprintf(last_error, sizeof last_error, "%s: %s", function, kReason);
  return PVLL_ERR_UNAVAILABLE;
}
}  // namespace

PVLL_API const char* pvll_coll_last_error(void) { return last_error; }
PVLL_API const char* pvll_coll_build_status(void) { return "stub: this pvll was built without MPI"; }
PVLL_API int pvll_coll_init(double, int*, int*, int*) { return no_mpi("pvll_coll_init"); }
PVLL_API int pvll_coll_set_timeout(double) { return no_mpi("pvll_coll_set_timeout"); }
PVLL_API int pvll_coll_all_reduce_sum_float(float*, int64_t) { return no_mpi("pvll_coll_all_reduce_sum_float"); }
PVLL_API int pvll_coll_all_reduce_sum_double(double*, int64_t) { return no_mpi("pvll_coll_all_reduce_sum_double"); }
PVLL_API int pvll_coll_broadcast(void*, int64_t, int) { return no_mpi("pvll_coll_broadcast"); }
PVLL_API int pvll_coll_barrier(void) { return no_mpi("pvll_coll_barrier"); }
PVLL_API int pvll_coll_abort(const char*) { return PVLL_OK; }
PVLL_API int pvll_coll_finalize(void) { return PVLL_OK; }
