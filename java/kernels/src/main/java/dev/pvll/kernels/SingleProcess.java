package dev.pvll.kernels;

import java.util.Arrays;

/** {@link Collectives#single()}: a world of one; operations check their arguments and return. */
final class SingleProcess implements Collectives {
  static final SingleProcess INSTANCE = new SingleProcess();

  private SingleProcess() {}

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public int size() {
    return 1;
  }

  @Override
  public int localRank() {
    return 0;
  }

  @Override
  public String describe() {
    return "a single process (rank 0 of 1): collectives are no-ops";
  }

  @Override
  public void allReduceSum(Tensor tensor) {
    required("allReduceSum", tensor).checkOpen();
  }

  @Override
  public void allReduceSum(NativeDoubles values) {
    if (values == null) throw new IllegalArgumentException("allReduceSum: values must not be null");
    values.address();  // throws when closed
  }

  @Override
  public void allReduceSum(double[] values) {
    if (values == null) throw new IllegalArgumentException("allReduceSum: values must not be null");
  }

  @Override
  public void broadcast(Tensor tensor, int root) {
    required("broadcast", tensor).checkOpen();
    checkRoot(root);
  }

  @Override
  public byte[] broadcast(byte[] bytes, int root) {
    checkRoot(root);
    if (bytes == null) throw new IllegalArgumentException("broadcast: root's bytes must not be null");
    return Arrays.copyOf(bytes, bytes.length);
  }

  @Override
  public void barrier() {}

  @Override
  public void waitForDevice() {}

  @Override
  public void abort(String reason) {}

  @Override
  public void close() {}

  @Override
  public String toString() {
    return describe();
  }

  private static Tensor required(String op, Tensor t) {
    if (t == null) throw new IllegalArgumentException(op + ": tensor must not be null");
    return t;
  }

  private static void checkRoot(int root) {
    if (root != 0) throw new IllegalArgumentException("broadcast: root " + root + " is not a rank of a world of 1");
  }
}
