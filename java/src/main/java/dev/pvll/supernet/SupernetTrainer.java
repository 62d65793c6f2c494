package dev.pvll.supernet;

import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.LossResult;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;

/**
 * One training step (forward, cross-entropy, backward, gradient clipping, SGD on the parameters
 * the step used) and one evaluation batch of the search network. Every temporary of a step is
 * freed when the step returns.
 */
public final class SupernetTrainer {
  private final SearchNetwork network;
  private final SgdConfig sgd;

  public SupernetTrainer(SearchNetwork network, SgdConfig sgd) {
    this.network = network;
    this.sgd = sgd;
  }

  public SearchNetwork network() {
    return network;
  }

  /** The optimiser settings of the steps. */
  public SgdConfig sgd() {
    return sgd;
  }

  /** Trains on one batch (labels as class indices stored in floats) with learning rate lr. */
  public StepResult trainStep(Tensor images, Tensor labels, SampledArchitecture arch, float lr) {
    try (Scope step = Scope.open()) {
      network.parameters().zeroGrads();
      Tensor logits = network.forward(images, arch, Mode.TRAIN);
      Tensor dLogits = Tensor.emptyLike(logits);
      LossResult loss = LossOps.softmaxCrossEntropy(logits, labels, dLogits);
      if (!Double.isFinite(loss.loss())) return new StepResult(loss.loss(), loss.correct(), images.dim(0));
      network.backward(dLogits);
      OptimOps.clipGradNorm(sgd.gradClip(), network.parameters().grads());
      network.parameters().sgdStep(network.activeRanges(arch), lr, sgd.momentum(), sgd.weightDecay());
      return new StepResult(loss.loss(), loss.correct(), images.dim(0));
    }
  }

  /** Loss and correct count on one batch in evaluation mode (running BN statistics), no update. */
  public StepResult evaluate(Tensor images, Tensor labels, SampledArchitecture arch) {
    return evaluate(images, labels, arch, Mode.EVAL);
  }

  /** Loss and correct count on one batch in EVAL or EVAL_BATCH_STATS mode, no update. */
  public StepResult evaluate(Tensor images, Tensor labels, SampledArchitecture arch, Mode mode) {
    if (mode == Mode.TRAIN) throw new IllegalArgumentException("evaluate needs an evaluation mode, got " + mode);
    try (Scope step = Scope.open()) {
      Tensor logits = network.forward(images, arch, mode);
      LossResult loss = LossOps.softmaxCrossEntropy(logits, labels, null);
      return new StepResult(loss.loss(), loss.correct(), images.dim(0));
    }
  }

  /**
   * Loss on one batch in training mode and dL/d(edge weight) per edge and cell type
   * ([2][edges], summed over cells), with no parameter update: the architecture half of GDAS.
   */
  public StepResult edgeGradients(Tensor images, Tensor labels, SampledArchitecture arch, double[][] edgeGradients) {
    try (Scope step = Scope.open()) {
      network.parameters().zeroGrads();
      Tensor logits = network.forward(images, arch, Mode.TRAIN);
      Tensor dLogits = Tensor.emptyLike(logits);
      LossResult loss = LossOps.softmaxCrossEntropy(logits, labels, dLogits);
      if (Double.isFinite(loss.loss())) network.backward(dLogits, edgeGradients);
      return new StepResult(loss.loss(), loss.correct(), images.dim(0));
    }
  }
}
