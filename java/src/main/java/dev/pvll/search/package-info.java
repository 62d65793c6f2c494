/**
 * The mathematical pieces of the PVLL-NAS search (METHOD.md "Sampling", "Memory and psi",
 * "Architecture update"), in plain Java doubles, deterministic from seeds, with every state
 * exportable as records of arrays and longs for checkpoints ({@link dev.pvll.search.SearchJson}).
 *
 * <ul>
 *   <li>{@link dev.pvll.search.ArchEncoding}: the [2 * edges, ops] shape of A and H.
 *   <li>{@link dev.pvll.search.Architect}: A, the Gumbel sampler on the kernels' Philox stream
 *       ({@link dev.pvll.search.GumbelSampler}), the Adam step on psi(H(A))^2, the sampling
 *       entropy.
 *   <li>{@link dev.pvll.search.Architecture}: one sample (g, H, chosen ops, their weights).
 *   <li>{@link dev.pvll.search.Memory}: the FIFO of (H, L) pairs.
 *   <li>{@link dev.pvll.search.Predictor}: psi, as {@link dev.pvll.search.LstmPredictor} (METHOD.md)
 *       or {@link dev.pvll.search.MlpPredictor}; {@link dev.pvll.search.PredictorTrainer} fits it.
 *   <li>{@link dev.pvll.search.KendallTau}, {@link dev.pvll.search.Adam},
 *       {@link dev.pvll.search.SplitMix64}: the tools.
 * </ul>
 */
package dev.pvll.search;
