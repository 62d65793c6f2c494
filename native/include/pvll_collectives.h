/*
 * pvll_collectives.h - collectives across the processes (ranks) of one job, for data-parallel
 * training on CPU ranks: all-reduce (sum) of a float or double buffer in place, broadcast of
 * bytes, barrier. Library: libpvll_mpi.so, built on MPI (Open MPI) when CMake finds it, else a
 * stub with the same functions whose init fails with a one-line reason.
 *
 * Conventions of the other pvll headers: every function returns an int status (PVLL_OK = 0) and
 * never exits or aborts the process; on failure pvll_coll_last_error() gives a thread-local
 * message naming the function. Buffers are host memory. Calls are serialised inside the library
 * (one collective at a time per process); every rank must call the same collectives in the same
 * order with the same counts, as MPI requires.
 *
 * Timeouts: every call that waits for other ranks (init, the collectives, barrier, finalize)
 * gives up after the timeout (pvll_coll_init's argument; PVLL_COLL_DEFAULT_TIMEOUT_SECONDS when
 * it is <= 0) and returns PVLL_ERR_COLLECTIVE with a message that names the operation, the
 * element count, how long it waited, and that another rank has probably died. A timed-out or
 * failed collective leaves the communicator broken: every later call fails at once with the
 * first failure's message, and finalize does not wait for the other ranks. The library never
 * calls MPI_Abort (which would end this process): the caller exits with an error, and the
 * launcher (mpirun, srun) then ends the other ranks. One exit is beyond any library: when Open
 * MPI's own MPI_Init fails, Open MPI ends the process (MPI-3 has no error handler before init).
 *
 * Without a launcher (no OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE in the
 * environment) init does not start MPI: the world is this process alone (rank 0 of 1), and the
 * collectives return at once with the buffer unchanged.
 *
 * Determinism: the sum's order is MPI's (for 2 ranks a + b on both, so every rank holds the same
 * bits); it differs from a single process's summation order, so data-parallel results agree with
 * one process to rounding.
 *
 * Checked by java/src/test/java/dev/pvll/kernels/MpiCollectivesTest.java (mpirun -np 2).
 */
#ifndef PVLL_COLLECTIVES_H
#define PVLL_COLLECTIVES_H

#include "pvll_common.h"

/** The timeout used when pvll_coll_init is given 0 or less, in seconds. */
#define PVLL_COLL_DEFAULT_TIMEOUT_SECONDS 120.0

/** Message of the last failed call of this library on this thread ("" when none). Never NULL. */
PVLL_API const char* pvll_coll_last_error(void);

/** How this library was built: "MPI: Open MPI v4.1.4, ..." or the stub's one-line reason. Never NULL. */
PVLL_API const char* pvll_coll_build_status(void);

/**
 * Joins the job: under a launcher, MPI_Init_thread (Open MPI's components loaded RTLD_GLOBAL,
 * the process's existing signal handlers kept), a private communicator with errors returned
 * rather than fatal, and the local rank from the ranks' host names; else a world of one.
 * Writes this process's rank, the world size and the rank among the ranks on this host.
 * Calling it again after success returns the same values. timeout_seconds bounds this and every
 * later wait (<= 0: the default).
 */
PVLL_API int pvll_coll_init(double timeout_seconds, int* rank, int* size, int* local_rank);

/** Sets the timeout of the later waits (seconds > 0). */
PVLL_API int pvll_coll_set_timeout(double seconds);

/** buffer[i] = the sum over ranks of buffer[i], i < count (every rank passes the same count). */
PVLL_API int pvll_coll_all_reduce_sum_float(float* buffer, int64_t count);
PVLL_API int pvll_coll_all_reduce_sum_double(double* buffer, int64_t count);

/** Every rank's buffer[0..bytes) = root's. */
PVLL_API int pvll_coll_broadcast(void* buffer, int64_t bytes, int root);

/** Returns when every rank has called it. */
PVLL_API int pvll_coll_barrier(void);

/**
 * Gives up on the job without waiting or exiting: marks the communicator broken (later calls
 * fail with reason), so that the caller can report and exit. Harmless before init.
 */
PVLL_API int pvll_coll_abort(const char* reason);

/**
 * Leaves the job: MPI_Finalize when the communicator is healthy (it waits for the other ranks,
 * within the timeout); nothing when it is broken or MPI was never started. After finalize the
 * process cannot join again (MPI allows one init per process).
 */
PVLL_API int pvll_coll_finalize(void);

#endif
