/*
 * pvll_norm.h - batch normalisation over NCHW float32 tensors (CPU).
 *
 * x has n samples of c channels of hw = H*W values. Statistics are per channel over n*hw
 * values. gamma and beta may be NULL (affine = false: scale 1, shift 0). Results are
 * bit-identical for any thread count (each channel is reduced by one thread in a fixed order).
 */
#ifndef PVLL_NORM_H
#define PVLL_NORM_H

#include "pvll_common.h"

/**
 * Training-mode forward: y = (x - mean) * invstd * gamma + beta with the batch mean and
 * biased variance; save_mean[c] and save_invstd[c] = 1/sqrt(var + eps) are written for the
 * backward pass. running_mean/running_var (both or neither may be NULL) are updated as
 * PyTorch does: r = (1 - momentum) * r + momentum * batch, the variance unbiased
 * (times n*hw / (n*hw - 1)). Needs n*hw > 1. y may alias x.
 */
PVLL_API int pvll_batch_norm_train_forward(const float* x, const float* gamma, const float* beta, float* y,
                                           float* save_mean, float* save_invstd, float* running_mean,
                                           float* running_var, int64_t n, int64_t c, int64_t hw, float momentum,
                                           float eps);

/** Inference forward with running statistics: y = (x - mean) / sqrt(var + eps) * gamma + beta. y may alias x. */
PVLL_API int pvll_batch_norm_inference_forward(const float* x, const float* gamma, const float* beta,
                                               const float* running_mean, const float* running_var, float* y,
                                               int64_t n, int64_t c, int64_t hw, float eps);

/**
 * Training-mode backward (batch statistics, as saved by the training forward):
 *   dgamma = sum(dy * xhat), dbeta = sum(dy) (overwritten; either may be NULL),
 *   dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), added into dx when
 *   accumulate_dx, else written. gamma NULL means 1. dx may alias dy when not accumulating.
 */
PVLL_API int pvll_batch_norm_backward(const float* x, const float* dy, const float* save_mean,
                                      const float* save_invstd, const float* gamma, float* dx, float* dgamma,
                                      float* dbeta, int64_t n, int64_t c, int64_t hw, int accumulate_dx);

/*
 * Synchronised batch norm: ranks that each hold a shard of one batch normalise it exactly as one
 * process holding the whole batch would (plain per-shard statistics would not), in four steps
 * around two all-reduces (sums) of small double buffers:
 *   forward   pvll_batch_norm_stats on each shard, all-reduce of stats across ranks;
 *             pvll_batch_norm_stats_finish: the batch's mean, biased variance, invstd and the
 *             running averages; pvll_batch_norm_inference_forward(x, gamma, beta, save_mean,
 *             save_var, y) then normalises each shard with them;
 *   backward  pvll_batch_norm_backward_stats on each shard (also the shard's dgamma/dbeta), all-
 *             reduce of sums; pvll_batch_norm_backward_apply: dx from the batch's sums.
 * stats and sums hold 2c + 1 doubles: [0, c) the sum of x (of dy), [c, 2c) the sum of x^2 (of
 * dy * xhat), [2c] the number of values per channel (n*hw). Adding the buffers of shards gives the
 * buffer of their union, so the all-reduce is a plain sum. The local moments are taken around
 * the channel's first value (as the training forward does) and turned into raw sums in double:
 * the batch variance sum(x^2)/N - mean^2 then keeps about 16 - 2*log10(|mean|/std) digits.
 * A shard may be empty (n = 0: zero sums, nothing to normalise). The shard's dgamma and dbeta are
 * its share of the batch's: summing them across ranks, as the gradient all-reduce does for every
 * parameter, gives the batch's. Checked by native/tests/test_norm_sync.cpp and
 * java/src/test/java/dev/pvll/kernels/SyncBatchNormTest.java.
 */

/** stats[2c + 1] = sum(x), sum(x^2) per channel and n*hw, of this shard. */
PVLL_API int pvll_batch_norm_stats(const float* x, double* stats, int64_t n, int64_t c, int64_t hw);

/**
 * From the batch's stats: save_mean, save_var (biased) and save_invstd = 1/sqrt(var + eps), each
 * [c]; running_mean/running_var (both or neither NULL) updated as by the training forward, the
 * variance unbiased with the batch's count. Needs a count (stats[2c]) above 1.
 */
PVLL_API int pvll_batch_norm_stats_finish(const double* stats, float* save_mean, float* save_var, float* save_invstd,
                                          float* running_mean, float* running_var, int64_t c, float momentum,
                                          float eps);

/**
 * sums[2c + 1] = sum(dy), sum(dy * xhat) per channel and n*hw, of this shard, with xhat =
 * (x - save_mean) * save_invstd; dgamma = sum(dy * xhat) and dbeta = sum(dy) of the shard
 * (overwritten; either may be NULL).
 */
PVLL_API int pvll_batch_norm_backward_stats(const float* x, const float* dy, const float* save_mean,
                                            const float* save_invstd, double* sums, float* dgamma, float* dbeta,
                                            int64_t n, int64_t c, int64_t hw);

/**
 * dx = gamma * invstd * (dy - S1/N - xhat * S2/N) for this shard, from the batch's sums (S1 =
 * sum(dy), S2 = sum(dy * xhat), N = sums[2c]); added into dx when accumulate_dx, else written.
 * gamma NULL means 1. dx may alias dy when not accumulating.
 */
PVLL_API int pvll_batch_norm_backward_apply(const float* x, const float* dy, const float* save_mean,
                                            const float* save_invstd, const float* gamma, const double* sums,
                                            float* dx, int64_t n, int64_t c, int64_t hw, int accumulate_dx);

#endif
