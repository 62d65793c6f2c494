package dev.pvll.supernet;

import java.util.Arrays;

/**
 * The sampled architecture of one cell type: on every edge the index of the op that runs
 * (column of A, Primitive order) and the weight its output is scaled by (H[k]).
 */
public record CellChoice(int[] ops, float[] weights) {
  public CellChoice {
    if (ops.length != weights.length) {
      throw new IllegalArgumentException("ops and weights differ in length: " + ops.length + " vs " + weights.length);
    }
    ops = ops.clone();
    weights = weights.clone();
  }

  /** Every edge running op with weight 1. */
  public static CellChoice uniform(int edges, int op) {
    int[] o = new int[edges];
    float[] w = new float[edges];
    Arrays.fill(o, op);
    Arrays.fill(w, 1f);
    return new CellChoice(o, w);
  }

  public int edges() {
    return ops.length;
  }

  @Override
  public int[] ops() {
    return ops.clone();
  }

  @Override
  public float[] weights() {
    return weights.clone();
  }

  int op(int edge) {
    return ops[edge];
  }

  float weight(int edge) {
    return weights[edge];
  }
}
