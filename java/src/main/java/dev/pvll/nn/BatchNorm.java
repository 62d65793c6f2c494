package dev.pvll.nn;

import dev.pvll.kernels.NormOps;
import dev.pvll.kernels.Tensor;

/**
 * Batch norm over NCHW channels, with or without affine parameters. Training uses batch
 * statistics and updates the running ones (momentum 0.1, eps 1e-5, PyTorch's defaults);
 * evaluation uses the running statistics.
 */
public final class BatchNorm implements Layer {
  public static final float MOMENTUM = 0.1f, EPS = 1e-5f;

  private final int channels;
  private final Parameter gamma, beta;
  private final Parameter runningMean, runningVar;
  private Tensor input, saveMean, saveInvStd;

  /** buffers holds the running statistics (not learnable). */
  public BatchNorm(ParameterStore store, ParameterStore buffers, String name, int channels, boolean affine) {
    this.channels = channels;
    gamma = affine ? store.add(name + ".weight", new Init.Constant(1f), channels) : null;
    beta = affine ? store.add(name + ".bias", new Init.Constant(0f), channels) : null;
    runningMean = buffers.add(name + ".running_mean", new Init.Constant(0f), channels);
    runningVar = buffers.add(name + ".running_var", new Init.Constant(1f), channels);
  }

  @Override
  public Tensor forward(Tensor x, Mode mode) {
    Tensor y = Tensor.emptyLike(x);
    if (mode == Mode.TRAIN) {
      input = x;
      saveMean = Tensor.empty(x.device(), channels);
      saveInvStd = Tensor.empty(x.device(), channels);
      NormOps.batchNormTrainForward(x, value(gamma), value(beta), y, saveMean, saveInvStd, runningMean.value(), runningVar.value(),
          MOMENTUM, EPS);
    } else if (mode == Mode.EVAL_BATCH_STATS) {
      try (Tensor mean = Tensor.empty(x.device(), channels); Tensor invStd = Tensor.empty(x.device(), channels)) {
        NormOps.batchNormTrainForward(x, value(gamma), value(beta), y, mean, invStd, null, null, MOMENTUM, EPS);
      }
    } else {
      NormOps.batchNormInferenceForward(x, value(gamma), value(beta), runningMean.value(), runningVar.value(), y, EPS);
    }
    return y;
  }

  @Override
  public void backward(Tensor dy, Tensor dx, boolean accumulate) {
    if (input == null) throw new IllegalStateException("BatchNorm backward without a training forward");
    NormOps.batchNormBackward(input, dy, saveMean, saveInvStd, value(gamma), dx, gamma == null ? null : gamma.grad(),
        beta == null ? null : beta.grad(), accumulate);
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  private static Tensor value(Parameter p) {
    return p == null ? null : p.value();
  }

  @Override
  public String toGraph(InferenceGraph graph, String x) {
    return graph.batchNorm(x, gamma, beta, runningMean, runningVar, channels, EPS);
  }
}
