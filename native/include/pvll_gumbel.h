/*
 * pvll_gumbel.h - counter-based Gumbel noise and the fused Gumbel-softmax + argmax kernel.
 *
 * THE RANDOM STREAM (every implementation - this CPU library, the CUDA kernels, the Java mirror
 * dev.pvll.kernels.Philox - produces exactly these numbers):
 *
 *   Generator  Philox4x32-10 (Salmon et al., SC'11; Random123's philox4x32_R with R = 10):
 *              multipliers M0 = 0xD2511F53, M1 = 0xCD9E8D57, Weyl key increments
 *              W0 = 0x9E3779B9, W1 = 0xBB67AE85; one round maps counter (c0, c1, c2, c3) with
 *              key (k0, k1) to (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0));
 *              the first round uses the key as given, each later round the key bumped by W.
 *              Known answers (Random123 tests/kat_vectors): counter 0 and key 0 give
 *              6627e8d5 e169c58d bc57ac4c 9b00dbd8.
 *   Key        (k0, k1) = (low 32 bits of seed, high 32 bits of seed).
 *   Counter    element e of a draw (row-major index r * cols + c, from 0) lies in block
 *              b = e / 4 and lane e % 4; the block's counter is
 *              (c0, c1, c2, c3) = (low32(counter), high32(counter), low32(b), high32(b)),
 *              where `counter` is the caller's 64-bit sample counter. Element e takes output
 *              word number (e % 4) of that block.
 *   Uniform    U = (u + 0.5) * 2^-32 computed in double, so U lies in [2^-33, 1 - 2^-33]: never
 *              0 or 1.
 *   Gumbel     g = -log(-log(U)) in double, then rounded to float (range about [-3.1, 22.9]).
 *
 * So a (seed, counter) pair always gives the same draw, and different counters (or seeds) give
 * independent draws. The double-precision log may differ in its last bit between libm and CUDA;
 * after the rounding to float the values agree except, rarely, by one float ulp.
 *
 * THE FUSED OP, per row r of a [rows, cols] float32 matrix of logits (row-major):
 *   g[r, c] = the stream above at element r * cols + c
 *   z[c]    = (logits[r, c] + g[r, c]) / tau            (double)
 *   w[r, c] = exp(z[c] - max z) / sum_c' exp(z[c'] - max z)  (double, summed in column order,
 *             rounded to float)
 *   idx[r]  = the first c with the largest z[c], stored as a float
 * Gumbel-max: idx[r] is distributed as softmax(logits[r, :]) whatever tau > 0 is.
 */
#ifndef PVLL_GUMBEL_H
#define PVLL_GUMBEL_H

#include "pvll_common.h"

#if defined(__CUDACC__)
#define PVLL_HOST_DEVICE __host__ __device__
#else
#define PVLL_HOST_DEVICE
#endif

/* ---- the generator, header-only so every kernel shares one definition ---- */

/** One Philox4x32-10 block: out = philox(counter ctr, key key). */
static inline PVLL_HOST_DEVICE void pvll_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** The four raw 32-bit words of block `block` of draw (seed, counter). */
static inline PVLL_HOST_DEVICE void pvll_gumbel_block_bits(uint64_t seed, uint64_t counter, uint64_t block, uint32_t out[4]) {
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)block, (uint32_t)(block >> 32)};
  pvll_philox4x32_10(ctr, key, out);
}

/* ---- the C API ---- */

/**
 * g[i] = Gumbel noise of element (offset + i) of draw (seed, counter), i < n, as defined above.
 * offset >= 0, n >= 0.
 */
PVLL_API int pvll_gumbel_noise(uint64_t seed, uint64_t counter, int64_t offset, int64_t n, float* g);

/**
 * The fused op above on a [rows, cols] matrix (rows >= 0, cols >= 1, tau > 0 and finite).
 * gumbel_out [rows, cols] may be NULL; weights_out [rows, cols] and indices_out [rows] may not.
 * Outputs must not alias logits. Deterministic and independent of the thread count.
 */
PVLL_API int pvll_gumbel_softmax_argmax(const float* logits, int64_t rows, int64_t cols, uint64_t seed,
                                        uint64_t counter, float tau, float* gumbel_out, float* weights_out,
                                        float* indices_out);

/** Naive reference of pvll_gumbel_softmax_argmax (one Philox block per element), for tests. */
PVLL_API int pvll_gumbel_softmax_argmax_ref(const float* logits, int64_t rows, int64_t cols, uint64_t seed,
                                            uint64_t counter, float tau, float* gumbel_out, float* weights_out,
                                            float* indices_out);

#endif
