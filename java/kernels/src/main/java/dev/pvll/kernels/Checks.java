package dev.pvll.kernels;

import java.util.Arrays;

/** Argument checks every op runs before any native call. */
final class Checks {
  private Checks() {}

  /** All tensors open and on one device; returns that device. */
  static Device sameDevice(String op, Tensor... tensors) {
    Device d = null;
    for (Tensor t : tensors) {
      if (t == null) throw new IllegalArgumentException(op + ": a tensor argument is null");
      if (t.isClosed()) t.checkOpen();
      if (d == null) d = t.device();
      else if (!d.equals(t.device())) {
        throw new IllegalArgumentException(op + ": tensors on different devices (" + d + " and " + t.device() + ")");
      }
    }
    return d;
  }

  static void sameShape(String op, Tensor a, Tensor b) {
    if (!Arrays.equals(a.shape(), b.shape())) {
      throw new IllegalArgumentException(op + ": shapes differ: " + Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
    }
  }

  static void sameSize(String op, Tensor a, Tensor b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(op + ": sizes differ: " + a.size() + " vs " + b.size());
    }
  }

  static void rank(String op, String name, Tensor t, int rank) {
    if (t.rank() != rank) {
      throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got shape " + Arrays.toString(t.shape()));
    }
  }

  static void shape(String op, String name, Tensor t, int... expected) {
    if (!Arrays.equals(t.shape(), expected)) {
      throw new IllegalArgumentException(op + ": " + name + " must have shape " + Arrays.toString(expected)
          + ", got " + Arrays.toString(t.shape()));
    }
  }
}
