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

  /**
   * Throws unless output out and the other tensor share no memory (the native kernels read their
   * inputs while writing their outputs; an overlap gives wrong numbers, not an error). A null
   * tensor (an optional argument) is not checked.
   */
  static void apart(String op, String outName, Tensor out, String otherName, Tensor other) {
    if (out == null || other == null) return;
    long a = out.address(), b = other.address();
    if (a < b + other.size() * (long) Float.BYTES && b < a + out.size() * (long) Float.BYTES) {
      throw new IllegalArgumentException(op + ": output " + outName + " overlaps " + otherName
          + " (an output may not share memory with an input or another output)");
    }
  }

  /**
   * {@link #apart} for every output against every input and every output before it (names
   * parallel to the tensors; null tensors skipped).
   */
  static void outputsApart(String op, String[] outNames, Tensor[] outs, String[] inNames, Tensor[] ins) {
    for (int o = 0; o < outs.length; o++) {
      for (int i = 0; i < ins.length; i++) apart(op, outNames[o], outs[o], inNames[i], ins[i]);
      for (int e = 0; e < o; e++) apart(op, outNames[o], outs[o], outNames[e], outs[e]);
    }
  }

  /** As {@link #apart}, except that out may be exactly the other tensor (the same memory, in place), where the op allows it. */
  static void apartOrSame(String op, String outName, Tensor out, String otherName, Tensor other) {
    if (out != null && other != null && out.address() == other.address() && out.size() == other.size()) return;
    apart(op, outName, out, otherName, other);
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
