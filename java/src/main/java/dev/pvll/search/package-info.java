/**
 * The PVLL-NAS search (METHOD.md) and its baselines, deterministic from seeds, every state a
 * record of arrays and longs that a checkpoint holds ({@code dev.pvll.run} writes them).
 *
 * <ul>
 *   <li>{@link dev.pvll.search.SearchEngine}: Algorithm 1 as resumable units: warm-up, memory,
 *       psi's warm-up, search steps, final genotype. Start here.
 *   <li>{@link dev.pvll.search.SearchConfig}: everything a run depends on, by concern;
 *       {@link dev.pvll.search.SearchPresets}: the named starting points.
 *   <li>The methods as strategies: PVLL ({@code PvllStrategy}), random search
 *       ({@code RandomStrategy}), GDAS ({@code GdasStrategy}), behind {@code SearchStrategy}.
 *   <li>{@code SupernetEpochs}: the shared weights epoch by epoch, and the labels.
 *   <li>{@link dev.pvll.search.ArchEncoding}: the [2 * edges, ops] shape of A and H, and the DARTS
 *       rule on it; {@link dev.pvll.search.Architect}: A, the Gumbel sampler on the kernels'
 *       Philox stream ({@link dev.pvll.search.GumbelSampler}), the Adam step on psi(H(A))^2, the
 *       sampling entropy; {@link dev.pvll.search.Architecture}: one sample (g, H, chosen ops, their
 *       weights) and its view on the supernet.
 *   <li>{@code ProxyLandscape}: the memory M ({@link dev.pvll.search.Memory}) and
 *       psi ({@link dev.pvll.search.Predictor}: {@link dev.pvll.search.LstmPredictor} as in
 *       METHOD.md, {@link dev.pvll.search.MlpPredictor}, {@link dev.pvll.search.OpCountPredictor}),
 *       fitted by {@link dev.pvll.search.PredictorTrainer}.
 *   <li>{@link dev.pvll.search.KendallTau}, {@link dev.pvll.search.Adam},
 *       {@link dev.pvll.search.SplitMix64}: the tools.
 * </ul>
 */
package dev.pvll.search;
