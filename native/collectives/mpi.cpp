// Collectives over MPI for CPU ranks (libpvll_mpi.so; API and semantics: pvll_collectives.h).
//
// Every collective is the nonblocking MPI call (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier) on a
// private duplicate of MPI_COMM_WORLD whose errors are returned, not fatal, followed by an
// MPI_Test loop with a deadline: a dead or absent rank costs at most the timeout, never a hang.
// The loop yields the core between tests (as Open MPI's own waits do when oversubscribed) but
// never sleeps, so large transfers, which progress only inside MPI calls, keep their speed.
// MPI_Init and MPI_Finalize cannot be made nonblocking: they run on a thread of their own (the
// standard wants finalize on the initialising thread) that the caller stops waiting for after
// the timeout. After a timeout the pending request is left alone (a nonblocking collective
// cannot be cancelled) and this library makes no further MPI call: Open MPI's shared-memory and
// TCP transports move data only inside MPI calls, so the caller's buffer is not written later.
//
// Inside a JVM: libmpi is promoted to RTLD_GLOBAL before MPI_Init (the JVM loads it as a
// dependency of this library with RTLD_LOCAL, and Open MPI's dlopened components may resolve
// symbols through the global scope); OMPI_MCA_opal_signal and UCX_ERROR_SIGNALS default to empty
// so that neither installs handlers for the signals the JVM uses itself (SIGSEGV for implicit
// null checks, ...), and any handler that MPI_Init replaced anyway is put back.
//
// Sums are MPI's (deterministic for a fixed rank count and algorithm). Checked by
// java/src/test/java/dev/pvll/kernels/MpiCollectivesTest.java under mpirun -np 2.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <dlfcn.h>
#include <mpi.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pvll_collectives.h"

namespace {
using Clock = std::chrono::steady_clock;

thread_local char last_error[1024] = "";

int fail(int status, const char* format, ...) __attribute__((format(printf, 2, 3)));
int fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, (size_t)length);
}

/** MPI_Init_thread and MPI_Finalize, on one thread of their own. Never destroyed. */
struct MainThread {
  std::mutex mutex;
  std::condition_variable changed;
  bool init_done = false, finalize_requested = false, finalize_done = false;
  int init_rc = MPI_SUCCESS, provided = MPI_THREAD_SINGLE, finalize_rc = MPI_SUCCESS;

  void run() {
    int got = MPI_THREAD_SINGLE;
    const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &got);
    {
      std::lock_guard<std::mutex> lock(mutex);
      init_rc = rc;
      provided = got;
      init_done = true;
    }
    changed.notify_all();
    if (rc != MPI_SUCCESS) return;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [this] { return finalize_requested; });
    }
    const int frc = MPI_Finalize();
    {
      std::lock_guard<std::mutex> lock(mutex);
      finalize_rc = frc;
      finalize_done = true;
    }
    changed.notify_all();
  }
};

struct State {
  std::mutex op;  // one call at a time
  bool joined = false;      // init succeeded
  bool mpi_started = false;  // MPI_Init_thread returned successfully
  bool finalized = false;
  bool broken = false;
  std::string broken_reason;
  double timeout = PVLL_COLL_DEFAULT_TIMEOUT_SECONDS;
  int rank = 0, size = 1, local_rank = 0;
  MPI_Comm comm = MPI_COMM_NULL;
  MainThread* main = nullptr;  // leaked on purpose: it may still be stuck in MPI_Init at exit
};

State& state() {
  static State* s = new State();  // never destroyed: a JVM may call in while exiting
  return *s;
}

bool under_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/** Marks the communicator unusable; returns PVLL_ERR_COLLECTIVE with the message already set. */
int break_with_last_error(State& s) {
  if (!s.broken) {
    s.broken = true;
    s.broken_reason = last_error;
  }
  return PVLL_ERR_COLLECTIVE;
}

int check_usable(State& s, const char* op) {
  if (!s.joined) return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: pvll_coll_init has not succeeded", op);
  if (s.finalized) return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: called after pvll_coll_finalize", op);
  if (s.broken)
    return fail(PVLL_ERR_COLLECTIVE, "%s: the communicator is unusable after an earlier failure: %s", op,
                s.broken_reason.c_str());
  return PVLL_OK;
}

/** Waits for request until the deadline; what names the operation for the message. */
int wait_request(State& s, MPI_Request* request, const char* op, const char* what) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.timeout));
  for (;;) {
    int done = 0;
    const int rc = MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
      fail(PVLL_ERR_COLLECTIVE, "%s of %s failed on rank %d of %d after %.1f s: %s (another rank has probably died)",
           op, what, s.rank, s.size, seconds_since(start), mpi_error(rc).c_str());
      return break_with_last_error(s);
    }
    if (done) return PVLL_OK;
    if (Clock::now() >= deadline) {
      fail(PVLL_ERR_COLLECTIVE,
           "%s of %s on rank %d of %d did not complete within the timeout of %.1f s (waited %.1f s): another rank "
           "has probably died or stopped calling collectives; this process can no longer communicate",
           op, what, s.rank, s.size, s.timeout, seconds_since(start));
      return break_with_last_error(s);
    }
    sched_yield();
  }
}

int started_call(State& s, int rc, const char* op, const char* what) {
  if (rc == MPI_SUCCESS) return PVLL_OK;
  fail(PVLL_ERR_COLLECTIVE, "%s of %s could not start on rank %d of %d: %s", op, what, s.rank, s.size,
       mpi_error(rc).c_str());
  return break_with_last_error(s);
}

template <class T>
int all_reduce_sum(T* buffer, int64_t count, MPI_Datatype type, const char* op, const char* type_name) {
  if (count < 0 || (count > 0 && buffer == nullptr))
    return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: bad arguments (buffer %p, count %lld)", op, (void*)buffer,
                (long long)count);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (int status = check_usable(s, op)) return status;
  if (s.size == 1 || count == 0) return PVLL_OK;
  char what[96];
  std::snprintf(what, sizeof what, "%lld %s", (long long)count, type_name);
  constexpr int64_t kChunk = int64_t(1) << 30;  // MPI counts are int
  for (int64_t at = 0; at < count; at += kChunk) {
    const int n = (int)std::min(kChunk, count - at);
    MPI_Request request = MPI_REQUEST_NULL;
    if (int status = started_call(s, MPI_Iallreduce(MPI_IN_PLACE, buffer + at, n, type, MPI_SUM, s.comm, &request),
                                  op, what))
      return status;
    if (int status = wait_request(s, &request, op, what)) return status;
  }
  return PVLL_OK;
}

/** The handlers of every catchable signal, to put back those that MPI_Init replaced. */
struct SignalHandlers {
  struct sigaction actions[NSIG];

  void save() {
    for (int sig = 1; sig < NSIG; ++sig) {
      std::memset(&actions[sig], 0, sizeof actions[sig]);
      if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, nullptr, &actions[sig]);
    }
  }

  /** Restores each handler that was installed before (not default, not ignore) and changed since. */
  void restore_replaced() {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      const struct sigaction& before = actions[sig];
      if (before.sa_handler == SIG_DFL || before.sa_handler == SIG_IGN) continue;
      struct sigaction now;
      if (sigaction(sig, nullptr, &now) == 0 && now.sa_handler != before.sa_handler) sigaction(sig, &before, nullptr);
    }
  }
};

/** Makes libmpi's symbols global, as Open MPI's components expect when they are dlopened. */
int promote_libmpi(const char* op) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) == 0 || info.dli_fname == nullptr)
    return fail(PVLL_ERR_INTERNAL, "%s: cannot find the library that holds MPI_Init_thread", op);
  if (dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
    const char* why = dlerror();
    return fail(PVLL_ERR_UNAVAILABLE, "%s: cannot reload %s with RTLD_GLOBAL: %s", op, info.dli_fname,
                why ? why : "unknown error");
  }
  return PVLL_OK;  // the handle is kept: libmpi stays loaded for the life of the process
}

int start_mpi(State& s, const char* op) {
  if (int status = promote_libmpi(op)) return status;
  setenv("OMPI_MCA_opal_signal", "", 0);  // the user's settings win (0: do not overwrite)
  setenv("UCX_ERROR_SIGNALS", "", 0);
  auto* handlers = new SignalHandlers();
  handlers->save();
  s.main = new MainThread();
  MainThread* main = s.main;
  std::thread([main] { main->run(); }).detach();
  const Clock::time_point start = Clock::now();
  std::unique_lock<std::mutex> lock(main->mutex);
  const bool done = main->changed.wait_for(lock, std::chrono::duration<double>(s.timeout), [main] { return main->init_done; });
  if (!done) {
    delete handlers;  // MPI_Init may still change them; the process is expected to exit
    fail(PVLL_ERR_COLLECTIVE,
         "%s: MPI_Init_thread did not complete within the timeout of %.1f s (waited %.1f s): another rank has "
         "probably failed to start or died",
         op, s.timeout, seconds_since(start));
    return break_with_last_error(s);
  }
  handlers->restore_replaced();
  delete handlers;
  if (main->init_rc != MPI_SUCCESS) {
    fail(PVLL_ERR_COLLECTIVE, "%s: MPI_Init_thread failed: %s", op, mpi_error(main->init_rc).c_str());
    return break_with_last_error(s);
  }
  s.mpi_started = true;
  if (main->provided < MPI_THREAD_SERIALIZED) {
    fail(PVLL_ERR_UNAVAILABLE,
         "%s: this MPI gives thread level %d, pvll needs MPI_THREAD_SERIALIZED (%d) or more (the JVM calls MPI from "
         "several threads)",
         op, main->provided, MPI_THREAD_SERIALIZED);
    return break_with_last_error(s);
  }
  return PVLL_OK;
}

int join_communicator(State& s, const char* op) {
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.size);
  MPI_Request request = MPI_REQUEST_NULL;
  if (int status = started_call(s, MPI_Comm_idup(MPI_COMM_WORLD, &s.comm, &request), op, "the world communicator"))
    return status;
  if (int status = wait_request(s, &request, op, "the world communicator")) return status;
  MPI_Comm_set_errhandler(s.comm, MPI_ERRORS_RETURN);
  // The local rank: the number of lower ranks on the same host.
  constexpr int kName = 256;
  std::vector<char> names((size_t)kName * (size_t)s.size, '\0');
  char mine[kName] = {};
  gethostname(mine, kName - 1);
  std::memcpy(&names[(size_t)kName * (size_t)s.rank], mine, kName);
  if (int status = started_call(s, MPI_Iallgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, names.data(), kName, MPI_CHAR,
                                                  s.comm, &request),
                                op, "the host names"))
    return status;
  if (int status = wait_request(s, &request, op, "the host names")) return status;
  s.local_rank = 0;
  for (int r = 0; r < s.rank; ++r)
    if (std::strncmp(&names[(size_t)kName * (size_t)r], mine, kName) == 0) ++s.local_rank;
  return PVLL_OK;
}
}  // namespace

PVLL_API const char* pvll_coll_last_error(void) { return last_error; }

PVLL_API const char* pvll_coll_build_status(void) {
  static char status[MPI_MAX_LIBRARY_VERSION_STRING + 16] = "";
  static std::once_flag once;
  std::call_once(once, [] {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int length = 0;
    if (MPI_Get_library_version(version, &length) != MPI_SUCCESS) std::snprintf(version, sizeof version, "unknown");
    version[strcspn(version, "\n")] = '\0';
    std::snprintf(status, sizeof status, "MPI: %s", version);
  });
  return status;
}

PVLL_API int pvll_coll_init(double timeout_seconds, int* rank, int* size, int* local_rank) {
  const char* op = "pvll_coll_init";
  if (!rank || !size || !local_rank) return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: NULL argument", op);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (s.finalized) return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: MPI was finalized; a process joins a job only once", op);
  if (s.broken) return fail(PVLL_ERR_COLLECTIVE, "%s: an earlier attempt failed: %s", op, s.broken_reason.c_str());
  if (!s.joined) {
    s.timeout = timeout_seconds > 0 ? timeout_seconds : PVLL_COLL_DEFAULT_TIMEOUT_SECONDS;
    if (under_launcher()) {
      if (int status = start_mpi(s, op)) return status;
      if (int status = join_communicator(s, op)) return status;
    }
    s.joined = true;
  }
  *rank = s.rank;
  *size = s.size;
  *local_rank = s.local_rank;
  return PVLL_OK;
}

PVLL_API int pvll_coll_set_timeout(double seconds) {
  if (!(seconds > 0)) return fail(PVLL_ERR_INVALID_ARGUMENT, "pvll_coll_set_timeout: seconds must be > 0, got %g", seconds);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  s.timeout = seconds;
  return PVLL_OK;
}

PVLL_API int pvll_coll_all_reduce_sum_float(float* buffer, int64_t count) {
  return all_reduce_sum(buffer, count, MPI_FLOAT, "pvll_coll_all_reduce_sum_float", "floats");
}

PVLL_API int pvll_coll_all_reduce_sum_double(double* buffer, int64_t count) {
  return all_reduce_sum(buffer, count, MPI_DOUBLE, "pvll_coll_all_reduce_sum_double", "doubles");
}

PVLL_API int pvll_coll_broadcast(void* buffer, int64_t bytes, int root) {
  const char* op = "pvll_coll_broadcast";
  if (bytes < 0 || (bytes > 0 && buffer == nullptr))
    return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: bad arguments (buffer %p, bytes %lld)", op, buffer, (long long)bytes);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (int status = check_usable(s, op)) return status;
  if (root < 0 || root >= s.size)
    return fail(PVLL_ERR_INVALID_ARGUMENT, "%s: root %d is not a rank of a world of %d", op, root, s.size);
  if (s.size == 1 || bytes == 0) return PVLL_OK;
  char what[96];
  std::snprintf(what, sizeof what, "%lld bytes from rank %d", (long long)bytes, root);
  constexpr int64_t kChunk = int64_t(1) << 30;
  auto* bytes_at = static_cast<char*>(buffer);
  for (int64_t at = 0; at < bytes; at += kChunk) {
    MPI_Request request = MPI_REQUEST_NULL;
    const int n = (int)std::min(kChunk, bytes - at);
    if (int status = started_call(s, MPI_Ibcast(bytes_at + at, n, MPI_BYTE, root, s.comm, &request), op, what))
      return status;
    if (int status = wait_request(s, &request, op, what)) return status;
  }
  return PVLL_OK;
}

PVLL_API int pvll_coll_barrier(void) {
  const char* op = "pvll_coll_barrier";
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (int status = check_usable(s, op)) return status;
  if (s.size == 1) return PVLL_OK;
  MPI_Request request = MPI_REQUEST_NULL;
  if (int status = started_call(s, MPI_Ibarrier(s.comm, &request), op, "0 elements (a barrier)")) return status;
  return wait_request(s, &request, op, "0 elements (a barrier)");
}

PVLL_API int pvll_coll_abort(const char* reason) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (!s.broken) {
    s.broken = true;
    s.broken_reason = std::string("this process gave up on the job: ") + (reason ? reason : "no reason given");
  }
  return PVLL_OK;
}

PVLL_API int pvll_coll_finalize(void) {
  const char* op = "pvll_coll_finalize";
  State& s = state();
  std::lock_guard<std::mutex> lock(s.op);
  if (s.finalized) return PVLL_OK;
  s.finalized = true;
  if (!s.mpi_started || s.broken) return PVLL_OK;  // a broken job's peers may be gone: do not wait for them
  if (s.comm != MPI_COMM_NULL) MPI_Comm_free(&s.comm);
  MainThread* main = s.main;
  const Clock::time_point start = Clock::now();
  std::unique_lock<std::mutex> lock_main(main->mutex);
  main->finalize_requested = true;
  main->changed.notify_all();
  const bool done =
      main->changed.wait_for(lock_main, std::chrono::duration<double>(s.timeout), [main] { return main->finalize_done; });
  if (!done)
    return fail(PVLL_ERR_COLLECTIVE,
                "%s: MPI_Finalize on rank %d of %d did not complete within the timeout of %.1f s (waited %.1f s): "
                "another rank has probably died",
                op, s.rank, s.size, s.timeout, seconds_since(start));
  if (main->finalize_rc != MPI_SUCCESS)
    return fail(PVLL_ERR_COLLECTIVE, "%s: MPI_Finalize failed: %s", op, mpi_error(main->finalize_rc).c_str());
  return PVLL_OK;
}
