package dev.pvll.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Argument checks shared by the layer ops (NormOps, PoolOps, LinearOps, LossOps, TensorOps, OptimOps). */
final class LayerChecks {
  private LayerChecks() {}

  /** Throws naming the op and argument when a required tensor is null. */
  static Tensor required(String op, String name, Tensor t) {
    if (t == null) throw new IllegalArgumentException(op + ": " + name + " must not be null");
    return t;
  }

  /** The non-null tensors open and on one device; returns that device. */
  static Device devices(String op, Tensor... tensors) {
    List<Tensor> present = new ArrayList<>();
    for (Tensor t : tensors) if (t != null) present.add(t);
    return Checks.sameDevice(op, present.toArray(new Tensor[0]));
  }

  /** The shape of a rank-4 NCHW tensor. */
  static int[] nchw(String op, String name, Tensor t) {
    Checks.rank(op, name, t, 4);
    return t.shape();
  }

  /** Null, or exactly the expected shape. */
  static void shapeOrNull(String op, String name, Tensor t, int... expected) {
    if (t != null) Checks.shape(op, name, t, expected);
  }

  /** The native address, 0 for null. */
  static long address(Tensor t) {
    return t == null ? 0L : t.address();
  }

  static int stride(String op, int stride) {
    if (stride != 1 && stride != 2) throw new IllegalArgumentException(op + ": stride must be 1 or 2, got " + stride);
    return stride;
  }

  static String shapeOf(Tensor t) {
    return Arrays.toString(t.shape());
  }
}
