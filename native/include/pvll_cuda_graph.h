/*
 * pvll_cuda_graph.h - CUDA graphs of libpvll_cuda.so whose launch sequence does not depend on
 * data the host would have to read back: stream capture, switch nodes that pick one of several
 * captured bodies from a value in device memory, and the device-scalar step ops (scale by a
 * device weight, SGD with a device learning rate, a per-step loss log).
 *
 * Capture, as used by dev.pvll.kernels.CudaGraph:
 *   pvll_cuda_capture_begin(device, flags)      ops called with stream NULL on this thread are now
 *                                               captured (not run); their memory comes from the
 *                                               graph's own pool
 *     pvll_cuda_switch_begin(selector, cases)   a switch node on the float *selector (truncated;
 *       pvll_cuda_switch_case(0) ... ops ...    outside [0, cases): no body runs)
 *       pvll_cuda_switch_case(1) ... ops ...    each case at most once, in increasing order
 *     pvll_cuda_switch_end()
 *   pvll_cuda_capture_end(device, &graph)       instantiates; or pvll_cuda_capture_abort(device)
 * Lanes: while capturing, work may go to other streams that join the capture by waiting on an
 * event recorded on a capturing stream (pvll_cuda_set_thread_stream, events of pvll_cuda_layers.h);
 * a switch goes on the stream the thread captures on; memory freed on one lane is reused on that
 * lane only; every lane must be joined back (the main stream waits on its last event) before
 * pvll_cuda_capture_end.
 *   pvll_cuda_graph_launch(graph, NULL)         runs it on this thread's stream (legacy default),
 *                                               so it is ordered with every plain op
 *   pvll_cuda_graph_destroy(graph)              waits for its last replay, frees the graph's memory
 * Conventions of pvll_cuda.h: int status, message in pvll_cuda_last_error(), never exits.
 * Needs CUDA 12.8 or later in runtime and driver (switch nodes): pvll_cuda_graphs_supported.
 */
#ifndef PVLL_CUDA_GRAPH_H
#define PVLL_CUDA_GRAPH_H

#include "pvll_common.h"

/** pvll_cuda_capture_begin flag: every switch's case set by one kernel at the root of the graph. */
#define PVLL_GRAPH_SWITCHES_AT_ROOT 1

#define PVLL_CUDA_GRAPH_FUNCTIONS(X)                                                                               \
  /* ops given stream NULL on this thread run on stream (NULL: the legacy default stream again) */               \
  X(pvll_cuda_set_thread_stream, (int device, void* stream))                                                       \
  X(pvll_cuda_get_thread_stream, (void** stream))                                                                  \
  /* *supported = 1 when runtime and driver can build graphs with switch nodes, else 0 */                         \
  X(pvll_cuda_graphs_supported, (int device, int* supported))                                                      \
  /* flags: 0, or PVLL_GRAPH_SWITCHES_AT_ROOT (one kernel at the graph's root sets every switch, instead of \
     a one-thread kernel before each) */                                                                          \
  X(pvll_cuda_capture_begin, (int device, int flags))                                                              \
  X(pvll_cuda_capture_end, (int device, void** graph))                                                             \
  /* ends a capture without a graph (after an error); harmless when none is open */                              \
  X(pvll_cuda_capture_abort, (int device))                                                                         \
  X(pvll_cuda_switch_begin, (const float* selector, int cases))                                                    \
  X(pvll_cuda_switch_case, (int index))                                                                            \
  X(pvll_cuda_switch_end, (int cases))                                                                             \
  X(pvll_cuda_graph_launch, (void* graph, void* stream))                                                           \
  X(pvll_cuda_graph_destroy, (void* graph))                                                                        \
  /* top-level nodes of the captured graph and bytes of device memory it owns */                                  \
  X(pvll_cuda_graph_info, (void* graph, int64_t* nodes, int64_t* bytes))                                           \
  /* --- device-scalar step ops; CPU twins in pvll_step.h --- */                                                   \
  X(pvll_cuda_scale_add_by, (const float* x, const float* alpha, float* y, int64_t n, int accumulate, void* stream)) \
  X(pvll_cuda_sgd_step_by, (float* param, const float* grad, float* momentum_buf, int64_t n, const float* control,  \
                            float momentum, float weight_decay, void* stream))                                     \
  X(pvll_cuda_record_step, (const float* loss, const float* correct, const float* lr_schedule, float* control,      \
                            float* log, int64_t capacity, void* stream))

#define PVLL_CUDA_DECLARE_GRAPH(name, params) PVLL_API int name params;
PVLL_CUDA_GRAPH_FUNCTIONS(PVLL_CUDA_DECLARE_GRAPH)
#undef PVLL_CUDA_DECLARE_GRAPH

#endif
