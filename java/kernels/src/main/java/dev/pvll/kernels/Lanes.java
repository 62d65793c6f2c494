package dev.pvll.kernels;

/**
 * Pieces of work that may overlap, ordered only by what each waits for. {@link #SERIAL} runs
 * every piece at once, in program order (plain launches); inside {@link CudaGraph#capture} each
 * lane is a stream of its own, so the graph gets one branch per lane and the GPU runs
 * independent pieces side by side. Work on one lane is ordered as written; work on different
 * lanes only through {@link Mark}s. Lanes do not nest.
 */
public interface Lanes {
  /** A point in the work enqueued so far: the end of a piece, or of the main lane's work. */
  interface Mark {}

  /**
   * The end of the work enqueued so far on the main lane.
   *
   * @return the mark
   * @throws IllegalStateException when called inside a lane's piece
   */
  Mark mark();

  /**
   * Runs body with its work on lane (0 to {@link #count()} - 1), after the work of every mark in
   * after; returns the mark of its end.
   *
   * @param lane the lane, 0 to count() - 1
   * @param body the piece of work
   * @param after marks this piece waits for (none: the capture's work so far, on a lane's first
   *     piece)
   * @return the mark of the piece's end
   * @throws IndexOutOfBoundsException for a lane outside the range
   * @throws IllegalArgumentException for a mark of another Lanes
   * @throws IllegalStateException when called inside a lane's piece
   */
  Mark run(int lane, Runnable body, Mark... after);

  /**
   * The main lane's later work waits for the work of marks.
   *
   * @param marks marks of this Lanes
   * @throws IllegalArgumentException for a mark of another Lanes
   */
  void join(Mark... marks);

  /**
   * Lanes available.
   *
   * @return the number of lanes ({@link Integer#MAX_VALUE} for {@link #SERIAL})
   */
  int count();

  /** Everything in program order on the main lane. */
  Lanes SERIAL = new Lanes() {
    private final Mark none = new Mark() {};

    @Override
    public Mark mark() {
      return none;
    }

    @Override
    public Mark run(int lane, Runnable body, Mark... after) {
      body.run();
      return none;
    }

    @Override
    public void join(Mark... marks) {}

    @Override
    public int count() {
      return Integer.MAX_VALUE;
    }
  };
}
