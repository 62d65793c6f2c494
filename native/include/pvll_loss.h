/*
 * pvll_loss.h - softmax cross-entropy over logits [n, k] (CPU).
 */
#ifndef PVLL_LOSS_H
#define PVLL_LOSS_H

#include "pvll_common.h"

/**
 * Mean softmax cross-entropy of logits [n, k] against labels [n] (class indices stored as
 * floats). Writes loss_out[0] = mean over rows of (logsumexp(z) - z[label]),
 * correct_out[0] = number of rows whose first argmax equals the label, and, when dlogits is
 * not NULL, the gradient of the mean loss: (softmax(z) - onehot(label)) / n. A label that is
 * not an integer in [0, k) fails with PVLL_ERR_INVALID_ARGUMENT naming the row, before
 * anything is written. Bit-identical for any thread count.
 */
PVLL_API int pvll_softmax_cross_entropy(const float* logits, const float* labels, float* loss_out,
                                        float* correct_out, float* dlogits, int64_t n, int64_t k);

#endif
