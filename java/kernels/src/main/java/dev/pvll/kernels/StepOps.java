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
 * set by {@link #recordStep} when the loss is not finite or the log is full).
 */
public final class StepOps {
  /** Slots of the control tensor. */
  public static final int COUNT = 0, LR = 1, GATE = 2, CONTROL_SIZE = 4;

  private StepOps() {}

  /** y = (accumulate ? y : 0) + alpha[index] * x, reading alpha[index] when the op runs. */
  public static void scaleAddBy(Tensor x, Tensor alpha, long index, Tensor y, boolean accumulate) {
    String op = "scale_add_by";
    required(op, "x", x);
    required(op, "alpha", alpha);
    required(op, "y", y);
    Device d = LayerChecks.devices(op, x, alpha, y);
    Checks.sameSize(op, x, y);
    checkIndex(op, "alpha", alpha, index);
    long a = alpha.address() + index * Float.BYTES;
    int acc = accumulate ? 1 : 0;
    if (d.isCpu()) Native.cpu(op, CpuStepKernels.pvll_scale_add_by(x.address(), a, y.address(), x.size(), acc));
    else Native.cuda(op, CudaGraphKernels.pvll_cuda_scale_add_by(x.address(), a, y.address(), x.size(), acc, 0));
  }

  /**
   * {@link OptimOps#sgdStep} with the learning rate control[LR], skipped when control[GATE] is 0;
   * both read when the op runs.
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
   * finite and the row existed, and counts the step.
   */
  public static void recordStep(Tensor loss, Tensor correct, Tensor lrSchedule, Tensor control, Tensor log) {
    String op = "record_step";
    required(op, "loss", loss);
    required(op, "correct", correct);
    required(op, "log", log);
    Device d = LayerChecks.devices(op, loss, correct, lrSchedule, control, log);
    checkControl(op, control);
    Checks.rank(op, "log", log, 2);
    if (log.dim(1) != 2) throw new IllegalArgumentException(op + ": log must be [capacity, 2], got " + LayerChecks.shapeOf(log));
    long capacity = log.dim(0);
    if (lrSchedule != null && lrSchedule.size() < capacity) {
      throw new IllegalArgumentException(op + ": lrSchedule has " + lrSchedule.size() + " values for a log of " + capacity);
    }
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
