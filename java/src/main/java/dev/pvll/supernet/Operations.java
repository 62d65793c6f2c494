package dev.pvll.supernet;

import dev.pvll.nn.BatchNorm;
import dev.pvll.nn.Conv2d;
import dev.pvll.nn.DepthwiseConv;
import dev.pvll.nn.FactorizedReduce;
import dev.pvll.nn.Identity;
import dev.pvll.nn.Layer;
import dev.pvll.nn.ParameterStore;
import dev.pvll.nn.PointwiseConv;
import dev.pvll.nn.Pool3x3;
import dev.pvll.nn.Relu;
import dev.pvll.nn.Sequential;
import dev.pvll.space.Primitive;

/** The DARTS operations as a table of factories (quark0/darts operations.py). */
public final class Operations {
  private Operations() {}

  /**
   * The layer for op on an edge with c channels in and out; null for {@code none}.
   *
   * @param poolBn true in the search network, where pools are followed by BN without affine
   *     parameters (DARTS MixedOp)
   */
  public static Layer create(Primitive op, ParameterStore store, ParameterStore buffers, String name, int c, int stride,
      boolean affine, boolean poolBn) {
    return switch (op) {
      case NONE -> null;
      case MAX_POOL_3X3 -> pool(true, store, buffers, name, c, stride, poolBn);
      case AVG_POOL_3X3 -> pool(false, store, buffers, name, c, stride, poolBn);
      case SKIP_CONNECT -> stride == 1 ? new Identity() : new FactorizedReduce(store, buffers, name, c, c, affine);
      case SEP_CONV_3X3 -> sepConv(store, buffers, name, c, 3, stride, affine);
      case SEP_CONV_5X5 -> sepConv(store, buffers, name, c, 5, stride, affine);
      case DIL_CONV_3X3 -> dilConv(store, buffers, name, c, 3, stride, affine);
      case DIL_CONV_5X5 -> dilConv(store, buffers, name, c, 5, stride, affine);
    };
  }

  /** ReLU, 1x1 (or k x k) convolution, BN: the cell input preprocessing. */
  public static Layer reluConvBn(ParameterStore store, ParameterStore buffers, String name, int in, int out, int kernel,
      int stride, int padding, boolean affine) {
    return new Sequential(new Relu(), new Conv2d(store, name + ".conv", in, out, kernel, stride, padding, 1, false),
        new BatchNorm(store, buffers, name + ".bn", out, affine));
  }

  private static Layer pool(boolean max, ParameterStore store, ParameterStore buffers, String name, int c, int stride,
      boolean poolBn) {
    Layer p = new Pool3x3(max, stride);
    return poolBn ? new Sequential(p, new BatchNorm(store, buffers, name + ".bn", c, false)) : p;
  }

  /** [ReLU, dw k (stride), pw, BN, ReLU, dw k, pw, BN]. */
  private static Layer sepConv(ParameterStore store, ParameterStore buffers, String name, int c, int k, int stride, boolean affine) {
    return new Sequential(
        new Relu(),
        new DepthwiseConv(store, name + ".dw1", c, k, stride, 1),
        new PointwiseConv(store, name + ".pw1", c, c),
        new BatchNorm(store, buffers, name + ".bn1", c, affine),
        new Relu(),
        new DepthwiseConv(store, name + ".dw2", c, k, 1, 1),
        new PointwiseConv(store, name + ".pw2", c, c),
        new BatchNorm(store, buffers, name + ".bn2", c, affine));
  }

  /** [ReLU, dw k dilation 2 (stride), pw, BN]. */
  private static Layer dilConv(ParameterStore store, ParameterStore buffers, String name, int c, int k, int stride, boolean affine) {
    return new Sequential(
        new Relu(),
        new DepthwiseConv(store, name + ".dw", c, k, stride, 2),
        new PointwiseConv(store, name + ".pw", c, c),
        new BatchNorm(store, buffers, name + ".bn", c, affine));
  }
}
