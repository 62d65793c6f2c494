package dev.pvll.search;

/**
 * Where a search stands, besides its float arrays (weights, momentum, BN buffers, the label-mode
 * snapshot): what a checkpoint records in JSON. The fields and their order are those of every
 * checkpoint written so far, so that old runs resume.
 *
 * @param config the run's configuration
 * @param phase the next unit's phase
 * @param index the next unit's index within its phase
 * @param epoch supernet epochs run
 * @param architect A, its Adam state and the Gumbel stream
 * @param psi psi's parameters, Adam state and minibatch order
 * @param memory M
 * @param heldOutPredictions psi's predictions made before each search label was fitted
 * @param heldOutLabels those labels
 * @param bestLoss the lowest label measured
 * @param bestH its architecture's H (null before the first label)
 * @param warmupLabels the warm-up population's labels
 * @param logLines lines of log.jsonl at this state
 * @param elapsedSeconds wall time of the run so far
 * @param finalLoss the final unit's label (null before it)
 * @param snapshotEpoch the epoch of the label-mode snapshot (null: none taken)
 * @param evolution regularized evolution's population and random state (null: another method)
 * @param finalGenotype the ranked final rule's choice (null: before the final unit, or another rule)
 */
public record SearchState(SearchConfig config, SearchEngine.Phase phase, int index, int epoch, Architect.State architect,
    PredictorTrainer.State psi, Memory.State memory, double[] heldOutPredictions, double[] heldOutLabels, double bestLoss, double[] bestH,
    double[] warmupLabels, long logLines, double elapsedSeconds, Double finalLoss, Integer snapshotEpoch,
    RegularizedEvolution.State evolution, String finalGenotype) {}
