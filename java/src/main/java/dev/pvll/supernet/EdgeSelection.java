package dev.pvll.supernet;

import dev.pvll.kernels.Branching;
import dev.pvll.kernels.StepOps;
import dev.pvll.kernels.Tensor;
import java.util.function.IntConsumer;

/**
 * How a search cell picks and weights the op of each edge: from op indices and weights held in
 * tensors and read when the step runs (so that the step can be captured once and replayed for
 * every architecture).
 */
interface EdgeSelection {
  /** Runs body(op) for the op chosen on edge (a capturing branching runs it for every op). */
  void onEdge(int edge, IntConsumer body);

  /** y = (accumulate ? y : 0) + weight(edge) * x. */
  void scaleAdd(int edge, Tensor x, Tensor y, boolean accumulate);

  /**
   * The selection held in tensors: op index ops[offset + edge] (a float holding an integer) and
   * weight weights[offset + edge], the op picked by branching.
   */
  static EdgeSelection of(Tensor ops, Tensor weights, int offset, int cases, Branching branching) {
    return new EdgeSelection() {
      @Override
      public void onEdge(int edge, IntConsumer body) {
        branching.branch(ops, offset + edge, cases, body);
      }

      @Override
      public void scaleAdd(int edge, Tensor x, Tensor y, boolean accumulate) {
        StepOps.scaleAddBy(x, weights, offset + edge, y, accumulate);
      }
    };
  }
}
