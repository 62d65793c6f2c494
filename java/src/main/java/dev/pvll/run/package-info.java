/**
 * Run folders, and the one place that writes them: {@link dev.pvll.run.RunFolder} (config.json,
 * the JSONL log cut back on resume, the atomic checkpoint, summaries and outputs, in one JSON setup,
 * {@link dev.pvll.run.RunJson}); {@link dev.pvll.run.SearchRun} and
 * {@link dev.pvll.run.TrainingRun} drive a search or a retraining unit by unit and checkpoint after
 * each, so that a run killed at any moment resumes exactly. Only a run's owner writes its folder
 * (one process; with several ranks, rank 0).
 */
package dev.pvll.run;
