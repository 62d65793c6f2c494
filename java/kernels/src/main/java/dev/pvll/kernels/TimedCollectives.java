package dev.pvll.kernels;

/**
 * A {@link Collectives} that counts the calls it passes on and the wall time they take, for
 * benchmarks ({@code pvll bench step}: communication time per step). On the CPU the time is the
 * whole collective, waiting for the slowest rank included; on a GPU only the enqueueing (NCCL
 * runs on the stream), so GPU communication time is measured by the step's time instead. Closing
 * closes the wrapped collectives.
 */
public final class TimedCollectives implements Collectives {
  private final Collectives inner;
  private long nanos;
  private long calls;

  /**
   * Times the calls made through it to inner.
   *
   * @param inner the collectives that do the work
   */
  public TimedCollectives(Collectives inner) {
    if (inner == null) throw new IllegalArgumentException("TimedCollectives: inner must not be null");
    this.inner = inner;
  }

  /**
   * Seconds spent in collectives since the last {@link #reset()}.
   *
   * @return the seconds
   */
  public synchronized double seconds() {
    return nanos / 1e9;
  }

  /**
   * Collective calls since the last {@link #reset()}.
   *
   * @return the number of calls
   */
  public synchronized long calls() {
    return calls;
  }

  /** Starts counting again from zero. */
  public synchronized void reset() {
    nanos = 0;
    calls = 0;
  }

  private synchronized void count(long t0) {
    nanos += System.nanoTime() - t0;
    calls++;
  }

  @Override
  public int rank() {
    return inner.rank();
  }

  @Override
  public int size() {
    return inner.size();
  }

  @Override
  public int localRank() {
    return inner.localRank();
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void allReduceSum(Tensor tensor) {
    long t0 = System.nanoTime();
    inner.allReduceSum(tensor);
    count(t0);
  }

  @Override
  public void allReduceSum(NativeDoubles values) {
    long t0 = System.nanoTime();
    inner.allReduceSum(values);
    count(t0);
  }

  @Override
  public void allReduceSum(double[] values) {
    long t0 = System.nanoTime();
    inner.allReduceSum(values);
    count(t0);
  }

  @Override
  public void broadcast(Tensor tensor, int root) {
    long t0 = System.nanoTime();
    inner.broadcast(tensor, root);
    count(t0);
  }

  @Override
  public byte[] broadcast(byte[] bytes, int root) {
    long t0 = System.nanoTime();
    byte[] out = inner.broadcast(bytes, root);
    count(t0);
    return out;
  }

  @Override
  public void barrier() {
    long t0 = System.nanoTime();
    inner.barrier();
    count(t0);
  }

  @Override
  public void waitForDevice() {
    long t0 = System.nanoTime();
    inner.waitForDevice();
    count(t0);
  }

  @Override
  public void abort(String reason) {
    inner.abort(reason);
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "timed " + inner;
  }
}
