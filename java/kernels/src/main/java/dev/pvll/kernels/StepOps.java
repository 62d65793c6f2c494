package dev.pvll.kernels;

import static dev.pvll.kernels.LayerChecks.address;
import static dev.pvll.kernels.LayerChecks.required;

import dev.pvll.kernels.bind.CpuStepKernels;
import dev.pvll.kernels.bind.CudaGraphKernels;

/**
 * Ops whose scalars are read from a tensor when they run, not passed when they are enqueued
 * (native/include/pvll_step.h): a training step built from them can be captured once as a
 * {@link CudaGraph} and replayed with a new edge weight, learning rate or gate, and it reports
 * its loss into a log in device memory that the host reads once, when it chooses.
 *
 * <p>The control tensor has {@link #CONTROL_SIZE} slots: {@link #COUNT} (steps recorded so far),
 * {@link #LR} (the learning rate {@link #sgdStepBy} uses) and {@link #GATE} (0 skips the update:
 * set by {@link #recordStep} when the loss is not finite or the log is full). Counts are
 * floats, exact below 2^24.
 *
 * <p><b>Determinism.</b> Elementwise, with the arithmetic of {@link ElementwiseOps#scaleAdd}
 * and {@link OptimOps#sgdStep}: a step run through these ops is bit-identical to one with the
 * values passed as arguments, on each device, for any thread count.
 *
 * <p><b>Checks before the native call</b>: required tensors are not null, all are on one
 * device, sizes agree, the control tensor has {@link #CONTROL_SIZE} values, loss and correct
 * are not empty, the log is {@code [capacity, 2]}, a schedule has at least capacity values, and
 * no tensor an op writes shares memory with another argument, except y = x in
 * {@link #scaleAddBy} ({@link IllegalArgumentException} naming the op and arguments); an alpha
 * index outside the tensor throws {@link IndexOutOfBoundsException}; a closed tensor
 * {@link IllegalStateException}; a native failure {@link KernelException}. The values read when
 * the op runs (alpha[index], control slots, loss[0], correct[0]) are not checked.
 */
public final class StepOps {
  /** Slot of the control tensor: the number of steps recorded so far. */
  public static final int COUNT = 0;

  /** Slot of the control tensor: the learning rate {@link #sgdStepBy} uses. */
  public static final int LR = 1;

  /** Slot of the control tensor: 0 makes {@link #sgdStepBy} skip its update. */
  public static final int GATE = 2;

  /** Number of values of the control tensor (slot 3 is unused). */
  public static final int CONTROL_SIZE = 4;

  private StepOps() {}

  /**
   * y = (accumulate ? y : 0) + alpha[index] * x, reading alpha[index] when the op runs
   * ({@link ElementwiseOps#scaleAdd} with a scale held in a tensor).
   *
   * @param x input
   * @param alpha tensor holding the scale
   * @param index element of alpha to use (flat index)
   * @param y output with x's element count; may be x, else apart from it (and always apart from
   *     alpha)
   * @param accumulate add into y instead of overwriting it
   * @throws IllegalArgumentException when a tensor is null, the devices differ, the sizes differ
   *     or y overlaps x (without being x) or alpha
   * @throws IndexOutOfBoundsException when index is outside alpha
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void scaleAddBy(Tensor x, Tensor alpha, long index, Tensor y, boolean accumulate) {
    String op = "scale_add_by";
    required(op, "x", x);
    required(op, "alpha", alpha);
    required(op, "y", y);
    Device d = LayerChecks.devices(op, x, alpha, y);
    Checks.sameSize(op, x, y);
    checkIndex(op, "alpha", alpha, index);
    Checks.apartOrSame(op, "y", y, "x", x);
    Checks.apart(op, "y", y, "alpha", alpha);
    long a = alpha.address() + index * Float.BYTES;
    int acc = accumulate ? 1 : 0;
    if (d.isCpu()) Native.cpu(op, CpuStepKernels.pvll_scale_add_by(x.address(), a, y.address(), x.size(), acc));
    else Native.cuda(op, CudaGraphKernels.pvll_cuda_scale_add_by(x.address(), a, y.address(), x.size(), acc, 0));
  }

  /**
   * {@link OptimOps#sgdStep} with the learning rate control[LR], skipped when control[GATE] is 0;
   * both read when the op runs.
   *
   * @param param the parameters, updated in place
   * @param grad their gradient, param's size
   * @param momentumBuf the momentum state, param's size; or null when momentum is 0
   * @param control the control tensor ({@link #CONTROL_SIZE} values)
   * @param momentum momentum factor
   * @param weightDecay L2 penalty added to the gradient
   * @throws IllegalArgumentException when a tensor is null, the devices or sizes differ,
   *     momentum is not 0 without a buffer, or param or momentumBuf overlaps another argument
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void sgdStepBy(Tensor param, Tensor grad, Tensor momentumBuf, Tensor control, float momentum,
      float weightDecay) {
    String op = "sgd_step_by";
    required(op, "param", param);
    required(op, "grad", grad);
    Device d = LayerChecks.devices(op, param, grad, momentumBuf, control);
    checkControl(op, control);
    Checks.sameSize(op, param, grad);
    if (momentumBuf != null) Checks.sameSize(op, param, momentumBuf);
    if (momentumBuf == null && momentum != 0f) {
      throw new IllegalArgumentException(op + ": momentum " + momentum + " needs a momentum buffer");
    }
    Checks.outputsApart(op, new String[] {"param", "momentumBuf"}, new Tensor[] {param, momentumBuf},
        new String[] {"grad", "control"}, new Tensor[] {grad, control});
    if (d.isCpu()) {
      Native.cpu(op, CpuStepKernels.pvll_sgd_step_by(param.address(), grad.address(), address(momentumBuf), param.size(),
          control.address(), momentum, weightDecay));
    } else {
      Native.cuda(op, CudaGraphKernels.pvll_cuda_sgd_step_by(param.address(), grad.address(), address(momentumBuf),
          param.size(), control.address(), momentum, weightDecay, 0));
    }
  }

  /**
   * Appends (loss[0], correct[0]) to log ([capacity, 2]) at row control[COUNT], sets control[LR]
   * from lrSchedule (may be null: LR unchanged) at that row, control[GATE] to whether the loss is
   * finite and the row existed, and counts the step. Rows past the capacity are not written.
   *
   * @param loss tensor whose first value is the step's loss (at least one value)
   * @param correct tensor whose first value is the step's correct count (at least one value)
   * @param lrSchedule learning rate per step (at least capacity values), or null
   * @param control the control tensor ({@link #CONTROL_SIZE} values), updated
   * @param log [capacity, 2], row i receives step i's (loss, correct)
   * @throws IllegalArgumentException when a tensor is null, the devices differ, a shape check
   *     fails, or control or log overlaps another argument
   * @throws IllegalStateException when a tensor is closed
   * @throws KernelException when the native call fails
   */
  public static void recordStep(Tensor loss, Tensor correct, Tensor lrSchedule, Tensor control, Tensor log) {
    String op = "record_step";
    required(op, "loss", loss);
    required(op, "correct", correct);
    required(op, "log", log);
    Device d = LayerChecks.devices(op, loss, correct, lrSchedule, control, log);
    checkControl(op, control);
    if (loss.size() < 1) throw new IllegalArgumentException(op + ": loss is empty, " + LayerChecks.shapeOf(loss));
    if (correct.size() < 1) throw new IllegalArgumentException(op + ": correct is empty, " + LayerChecks.shapeOf(correct));
    Checks.rank(op, "log", log, 2);
    if (log.dim(1) != 2) throw new IllegalArgumentException(op + ": log must be [capacity, 2], got " + LayerChecks.shapeOf(log));
    long capacity = log.dim(0);
    if (lrSchedule != null && lrSchedule.size() < capacity) {
      throw new IllegalArgumentException(op + ": lrSchedule has " + lrSchedule.size() + " values for a log of " + capacity);
    }
    Checks.outputsApart(op, new String[] {"control", "log"}, new Tensor[] {control, log},
        new String[] {"loss", "correct", "lrSchedule"}, new Tensor[] {loss, correct, lrSchedule});
    if (d.isCpu()) {
      Native.cpu(op, CpuStepKernels.pvll_record_step(loss.address(), correct.address(), address(lrSchedule),
          control.address(), log.address(), capacity));
    } else {
      Native.cuda(op, CudaGraphKernels.pvll_cuda_record_step(loss.address(), correct.address(), address(lrSchedule),
          control.address(), log.address(), capacity, 0));
    }
  }

  private static void checkControl(String op, Tensor control) {
    required(op, "control", control);
    if (control.size() != CONTROL_SIZE) {
      throw new IllegalArgumentException(op + ": control must have " + CONTROL_SIZE + " values, got " + control.size());
    }
  }

  private static void checkIndex(String op, String name, Tensor t, long index) {
    if (index < 0 || index >= t.size()) {
      throw new IndexOutOfBoundsException(op + ": " + name + " index " + index + " outside [0, " + t.size() + ")");
    }
  }
}
