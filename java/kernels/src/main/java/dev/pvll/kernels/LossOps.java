package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.address;
import static dev.pvll.kernels.LayerChecks.required;
import static dev.pvll.kernels.LayerChecks.shapeOrNull;

import dev.pvll.kernels.bind.CpuLayerKernels;
import dev.pvll.kernels.bind.CudaLayerKernels;

/**
 * Softmax cross-entropy with mean reduction, as
 * {@code torch.nn.functional.cross_entropy(logits, labels.long())}, fused with the count of
 * correct predictions and the gradient of the loss.
 *
 * <p><b>Determinism.</b> Bit-identical from run to run and for any thread count on the CPU;
 * on CUDA (one block; row sums and the loss in double, the mean by a fixed block tree) from run
 * to run, agreeing with the CPU to rounding.
 *
 * <p><b>Checks before the native call</b> ({@link IllegalArgumentException}): no required
 * tensor is null; all tensors are on one device; logits has rank 2 and no zero dimension;
 * labels is {@code [N]}, lossOut and correctOut {@code [1]}, dlogits {@code [N, K]}; the outputs
 * share no memory with the inputs or with each other. A closed
 * tensor throws {@link IllegalStateException}. The labels are checked natively (see below).
 */
public final class LossOps {
  private LossOps() {}

  /**
   * Mean softmax cross-entropy and the count of correct predictions: lossOut =
   * {@code F.cross_entropy(logits, labels.long())} (the mean over rows of
   * {@code logsumexp(z) - z[label]}), correctOut = {@code (logits.argmax(1) == labels).sum()}
   * and dlogits = the gradient of that loss, {@code (softmax(logits) - onehot(labels)) / N}.
   * Outputs are overwritten. On CUDA this is enqueued and returns at once.
   *
   * @param logits [N, K]
   * @param labels [N], class indices stored as floats
   * @param lossOut [1], receives the mean loss
   * @param correctOut [1], receives the number of rows whose first argmax equals the label
   * @param dlogits [N, K] or null; receives the gradient of the mean loss, (softmax - onehot) / N
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException (status {@link KernelException#INVALID_ARGUMENT}) on the CPU when a
   *     label is not an integer in [0, K) (nothing is written then), or when the native call
   *     fails. On
   *     CUDA this method does not wait for the device, so a bad label is marked instead: lossOut
   *     = NaN, correctOut = -(first bad row + 1), dlogits untouched; the {@link LossResult}
   *     variant checks the mark and throws.
   */
  public static void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor lossOut, Tensor correctOut,
      Tensor dlogits) {
    String op = "softmax_cross_entropy";
    required(op, "logits", logits);
    required(op, "labels", labels);
    required(op, "lossOut", lossOut);
    required(op, "correctOut", correctOut);
    Device d = LayerChecks.devices(op, logits, labels, lossOut, correctOut, dlogits);
    Checks.rank(op, "logits", logits, 2);
    int n = logits.dim(0), k = logits.dim(1);
    if (n == 0 || k == 0) throw new IllegalArgumentException(op + ": empty logits " + LayerChecks.shapeOf(logits));
    Checks.shape(op, "labels", labels, n);
    Checks.shape(op, "lossOut", lossOut, 1);
    Checks.shape(op, "correctOut", correctOut, 1);
    shapeOrNull(op, "dlogits", dlogits, n, k);
    Checks.outputsApart(op, new String[] {"lossOut", "correctOut", "dlogits"},
        new Tensor[] {lossOut, correctOut, dlogits}, new String[] {"logits", "labels"}, new Tensor[] {logits, labels});
    if (d.isCpu()) {
      Native.cpu(op, CpuLayerKernels.pvll_softmax_cross_entropy(logits.address(), labels.address(), lossOut.address(),
          correctOut.address(), address(dlogits), n, k));
    } else {
      Native.cuda(op, CudaLayerKernels.pvll_cuda_softmax_cross_entropy(logits.address(), labels.address(),
          lossOut.address(), correctOut.address(), address(dlogits), n, k, 0));
    }
  }

  /**
   * {@link #softmaxCrossEntropy(Tensor, Tensor, Tensor, Tensor, Tensor)} returning the loss
   * and the correct count (on CUDA this waits for the device). Checks the labels on both
   * devices.
   *
   * @param logits [N, K]
   * @param labels [N], class indices stored as floats
   * @param dlogits [N, K] or null; receives the gradient of the mean loss
   * @return the mean loss and the number of correct rows
   * @throws IllegalArgumentException when a check of the class comment fails
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException (status {@link KernelException#INVALID_ARGUMENT}) naming the row
   *     when a label is not an integer in [0, K), or when the native call fails
   */
  public static LossResult softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor dlogits) {
    required("softmax_cross_entropy", "logits", logits);
    try (Tensor loss = Tensor.empty(logits.device(), 1); Tensor correct = Tensor.empty(logits.device(), 1)) {
      softmaxCrossEntropy(logits, labels, loss, correct, dlogits);
      float c = correct.toArray()[0];
      if (c < 0) {
        throw new KernelException("softmax_cross_entropy", KernelException.INVALID_ARGUMENT, "label "
            + labels.view((long) (-c - 1), 1).toArray()[0] + " at row " + (long) (-c - 1)
            + " is not a class index in [0, " + logits.dim(1) + ")");
      }
      return new LossResult(loss.toArray()[0], (int) c);
    }
  }
}
