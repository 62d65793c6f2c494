/*
 * pvll_cuda_layers.h - the non-convolution layer ops of libpvll_cuda.so, plus pinned host
 * memory, streams and events for overlapping data copies with compute.
 *
 * Conventions of pvll_cuda.h: every op returns an int status (message in
 * pvll_cuda_last_error()), never exits, takes the cudaStream_t it runs on as void* (NULL = the
 * legacy default stream) and only enqueues work. Tensor arguments are device pointers; arrays of
 * pointers and sizes (concat, split, sum of squares) are host arrays of device pointers, read
 * before the call returns. Semantics are those of the CPU functions of the same name without
 * the `cuda_` (pvll_norm.h, pvll_pool.h, pvll_spatial.h, pvll_linear.h, pvll_loss.h,
 * pvll_tensor_ops.h, pvll_optim.h, pvll_elementwise.h, pvll_gumbel.h), with these differences:
 *   - results that the CPU API writes to host memory (dot, sum of squares, the clip norm) go to
 *     device memory (double*); pvll_cuda_read_doubles copies them back;
 *   - pvll_cuda_softmax_cross_entropy cannot fail on a bad label without a host sync, so it
 *     marks it instead: loss_out = NaN, correct_out = -(first bad row + 1), dlogits untouched;
 *   - every reduction is deterministic (fixed-order block partials, then a second pass; no float
 *     atomics), but its summation order differs from the CPU's: results agree to rounding.
 *
 * Scratch memory comes from the caching allocator of runtime.cu and goes back to it only after
 * the work enqueued on the stream has finished (an event per scratch block), so ops may run on
 * several streams. Not capturable into a CUDA graph as is (the scratch events).
 */
#ifndef PVLL_CUDA_LAYERS_H
#define PVLL_CUDA_LAYERS_H

#include "pvll_common.h"

#define PVLL_CUDA_LAYER_FUNCTIONS(X)                                                                               \
  /* --- pinned host memory, streams, events (data overlap; runtime.cu) --- */                                    \
  X(pvll_cuda_host_alloc_pinned, (int64_t bytes, void** out))                                                      \
  X(pvll_cuda_host_free_pinned, (void* ptr))                                                                       \
  /* a stream that does not synchronise with the legacy default stream (cudaStreamNonBlocking) */                 \
  X(pvll_cuda_stream_create, (int device, void** stream))                                                          \
  X(pvll_cuda_stream_destroy, (int device, void* stream))                                                          \
  X(pvll_cuda_stream_synchronize, (int device, void* stream))                                                      \
  X(pvll_cuda_event_create, (int device, void** event))                                                            \
  X(pvll_cuda_event_destroy, (int device, void* event))                                                            \
  X(pvll_cuda_event_record, (int device, void* event, void* stream))                                               \
  X(pvll_cuda_event_synchronize, (int device, void* event))                                                        \
  X(pvll_cuda_stream_wait_event, (int device, void* stream, void* event))                                          \
  /* host must be pinned (pvll_cuda_host_alloc_pinned) for the copy to be asynchronous */                         \
  X(pvll_cuda_copy_to_device_async, (int device, const float* host, float* dev, int64_t count, void* stream))      \
  /* waits for stream, then host[0..count) = dev[0..count) */                                                      \
  X(pvll_cuda_read_doubles, (int device, const double* dev, double* host, int count, void* stream))                \
  /* --- batch norm --- */                                                                                         \
  X(pvll_cuda_batch_norm_train_forward,                                                                            \
    (const float* x, const float* gamma, const float* beta, float* y, float* save_mean, float* save_invstd,        \
     float* running_mean, float* running_var, int64_t n, int64_t c, int64_t hw, float momentum, float eps,         \
     void* stream))                                                                                                \
  X(pvll_cuda_batch_norm_inference_forward,                                                                        \
    (const float* x, const float* gamma, const float* beta, const float* running_mean, const float* running_var,   \
     float* y, int64_t n, int64_t c, int64_t hw, float eps, void* stream))                                         \
  X(pvll_cuda_batch_norm_backward,                                                                                 \
    (const float* x, const float* dy, const float* save_mean, const float* save_invstd, const float* gamma,        \
     float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c, int64_t hw, int accumulate_dx, void* stream))   \
  /* synchronised batch norm (the CPU's pvll_norm.h; stats and sums are device double[2c + 1]; the count check */ \
  /* of stats_finish is the caller's: a batch of one value per channel gives an infinite running variance) */      \
  X(pvll_cuda_batch_norm_stats, (const float* x, double* stats, int64_t n, int64_t c, int64_t hw, void* stream))    \
  X(pvll_cuda_batch_norm_stats_finish,                                                                             \
    (const double* stats, float* save_mean, float* save_var, float* save_invstd, float* running_mean,              \
     float* running_var, int64_t c, float momentum, float eps, void* stream))                                      \
  X(pvll_cuda_batch_norm_backward_stats,                                                                           \
    (const float* x, const float* dy, const float* save_mean, const float* save_invstd, double* sums,              \
     float* dgamma, float* dbeta, int64_t n, int64_t c, int64_t hw, void* stream))                                 \
  X(pvll_cuda_batch_norm_backward_apply,                                                                           \
    (const float* x, const float* dy, const float* save_mean, const float* save_invstd, const float* gamma,        \
     const double* sums, float* dx, int64_t n, int64_t c, int64_t hw, int accumulate_dx, void* stream))            \
  /* --- pooling --- */                                                                                            \
  X(pvll_cuda_max_pool3x3_forward, (const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride,     \
                                    void* stream))                                                                 \
  X(pvll_cuda_max_pool3x3_backward, (const float* x, const float* dy, float* dx, int64_t planes, int64_t h,        \
                                     int64_t w, int stride, int accumulate, void* stream))                         \
  X(pvll_cuda_avg_pool3x3_forward, (const float* x, float* y, int64_t planes, int64_t h, int64_t w, int stride,     \
                                    void* stream))                                                                 \
  X(pvll_cuda_avg_pool3x3_backward, (const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int stride,  \
                                     int accumulate, void* stream))                                                \
  X(pvll_cuda_global_avg_pool_forward, (const float* x, float* y, int64_t planes, int64_t hw, void* stream))        \
  X(pvll_cuda_global_avg_pool_backward, (const float* dy, float* dx, int64_t planes, int64_t hw, int accumulate,    \
                                         void* stream))                                                            \
  X(pvll_cuda_avg_pool_forward, (const float* x, float* y, int n, int c, int h, int w, int k, int s, int p,        \
                                 void* stream))                                                                    \
  X(pvll_cuda_avg_pool_backward, (const float* dy, float* dx, int n, int c, int h, int w, int k, int s, int p,     \
                                  int accumulate, void* stream))                                                   \
  X(pvll_cuda_crop_forward, (const float* x, float* y, int n, int c, int h, int w, int top, int left, int oh,     \
                             int ow, void* stream))                                                                \
  X(pvll_cuda_crop_backward, (const float* dy, float* dx, int n, int c, int h, int w, int top, int left, int oh,  \
                              int ow, int accumulate, void* stream))                                               \
  /* --- linear and loss --- */                                                                                    \
  X(pvll_cuda_linear_forward, (const float* x, const float* w, const float* b, float* y, int64_t n, int64_t in,    \
                               int64_t out, void* stream))                                                         \
  X(pvll_cuda_linear_backward, (const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, \
                                int64_t n, int64_t in, int64_t out, int accumulate, void* stream))                 \
  X(pvll_cuda_softmax_cross_entropy, (const float* logits, const float* labels, float* loss_out,                  \
                                      float* correct_out, float* dlogits, int64_t n, int64_t k, void* stream))     \
  /* --- tensor ops --- */                                                                                         \
  X(pvll_cuda_concat_channels, (const float* const* xs, const int64_t* channels, int count, float* y, int64_t n,   \
                                int64_t hw, void* stream))                                                         \
  X(pvll_cuda_split_channels, (const float* dy, float* const* dxs, const int64_t* channels, int count, int64_t n,  \
                               int64_t hw, int accumulate, void* stream))                                          \
  X(pvll_cuda_drop_path_forward, (const float* x, const float* mask, float* y, int64_t n, int64_t per_sample,      \
                                  float keep_prob, void* stream))                                                  \
  X(pvll_cuda_drop_path_backward, (const float* dy, const float* mask, float* dx, int64_t n, int64_t per_sample,   \
                                   float keep_prob, int accumulate, void* stream))                                 \
  X(pvll_cuda_add, (const float* a, const float* b, float* y, int64_t count, void* stream))                        \
  /* out: one double in device memory */                                                                           \
  X(pvll_cuda_dot, (const float* a, const float* b, int64_t n, double* out, void* stream))                         \
  /* --- optimisers --- */                                                                                         \
  X(pvll_cuda_sgd_step, (float* param, const float* grad, float* momentum_buf, int64_t n, float lr, float momentum, \
                         float weight_decay, void* stream))                                                        \
  X(pvll_cuda_adam_step, (float* param, const float* grad, float* m, float* v, int64_t n, int64_t step, float lr,   \
                          float beta1, float beta2, float eps, float weight_decay, void* stream))                   \
  /* out: one double in device memory */                                                                           \
  X(pvll_cuda_sum_squares, (const float* const* buffers, const int64_t* sizes, int count, double* out,             \
                            void* stream))                                                                         \
  X(pvll_cuda_scale_buffers, (float* const* buffers, const int64_t* sizes, int count, float alpha, void* stream))   \
  /* fused clip_grad_norm_: norm_out[0] (device) = global L2 norm; every buffer is scaled by                      \
     max_norm / (norm + 1e-6) when that is below 1, decided on the device (no host sync) */                       \
  X(pvll_cuda_clip_grad_norm, (float* const* buffers, const int64_t* sizes, int count, float max_norm,            \
                               double* norm_out, void* stream))                                                    \
  /* --- sampling (random stream contract in pvll_gumbel.h) --- */                                                 \
  X(pvll_cuda_gumbel_noise, (uint64_t seed, uint64_t counter, int64_t offset, int64_t n, float* g, void* stream))  \
  X(pvll_cuda_gumbel_softmax_argmax, (const float* logits, int64_t rows, int64_t cols, uint64_t seed,              \
                                      uint64_t counter, float tau, float* gumbel_out, float* weights_out,          \
                                      float* indices_out, void* stream))

#define PVLL_CUDA_LAYER_DECLARE(name, params) PVLL_API int name params;
PVLL_CUDA_LAYER_FUNCTIONS(PVLL_CUDA_LAYER_DECLARE)
#undef PVLL_CUDA_LAYER_DECLARE

#endif
