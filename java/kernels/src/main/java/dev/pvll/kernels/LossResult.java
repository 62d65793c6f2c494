package dev.pvll.kernels;

/**
 * Result of {@link LossOps#softmaxCrossEntropy(Tensor, Tensor, Tensor)}.
 *
 * @param loss mean cross-entropy over the batch
 * @param correct number of rows whose argmax equals the label
 */
public record LossResult(double loss, int correct) {}
