package dev.pvll.space;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The candidate operations of the DARTS space. The declaration order is the column order of the
 * architecture matrices A and must not change: {@code ordinal()} is the column index.
 */
public enum Primitive {
  /** The zero op: the edge contributes nothing. Never part of a genotype. */
  NONE("none", 0, 1),
  /** 3x3 max pooling (followed by BN in the search network). */
  MAX_POOL_3X3("max_pool_3x3", 3, 1),
  /** 3x3 average pooling, padding not counted (followed by BN in the search network). */
  AVG_POOL_3X3("avg_pool_3x3", 3, 1),
  /** Identity; FactorizedReduce when the edge has stride 2. */
  SKIP_CONNECT("skip_connect", 0, 1),
  /** Separable convolution applied twice: (ReLU, depthwise 3x3, pointwise 1x1, BN) x 2. */
  SEP_CONV_3X3("sep_conv_3x3", 3, 1),
  /** Separable convolution applied twice: (ReLU, depthwise 5x5, pointwise 1x1, BN) x 2. */
  SEP_CONV_5X5("sep_conv_5x5", 5, 1),
  /** ReLU, depthwise 3x3 with dilation 2, pointwise 1x1, BN. */
  DIL_CONV_3X3("dil_conv_3x3", 3, 2),
  /** ReLU, depthwise 5x5 with dilation 2, pointwise 1x1, BN. */
  DIL_CONV_5X5("dil_conv_5x5", 5, 2);

  /** Number of primitives: the number of columns of A. */
  public static final int COUNT = 8;

  private static final Primitive[] VALUES = values();

  private final String dartsName;
  private final int kernelSize;
  private final int dilation;

  Primitive(String dartsName, int kernelSize, int dilation) {
    this.dartsName = dartsName;
    this.kernelSize = kernelSize;
    this.dilation = dilation;
  }

  /** The name used by DARTS ({@code PRIMITIVES} in genotypes.py), e.g. {@code sep_conv_3x3}. */
  public String dartsName() {
    return dartsName;
  }

  /** Spatial kernel size of the pooling or convolution; 0 for {@link #NONE} and {@link #SKIP_CONNECT}. */
  public int kernelSize() {
    return kernelSize;
  }

  /** Dilation of the depthwise convolution: 2 for the dil_conv ops, 1 otherwise. */
  public int dilation() {
    return dilation;
  }

  /** Padding that keeps the spatial size at stride 1: dilation * (kernel - 1) / 2. */
  public int padding() {
    return kernelSize == 0 ? 0 : dilation * (kernelSize - 1) / 2;
  }

  /** True for the pooling ops. */
  public boolean isPool() {
    return this == MAX_POOL_3X3 || this == AVG_POOL_3X3;
  }

  /** True for the separable and dilated convolutions (the ops with weights at stride 1). */
  public boolean isConv() {
    return kernelSize > 0 && !isPool();
  }

  /** The column of A: same as {@code ordinal()}. */
  public int index() {
    return ordinal();
  }

  /** The primitive at column {@code index} of A. */
  public static Primitive at(int index) {
    if (index < 0 || index >= COUNT) {
      throw new IllegalArgumentException(
          "primitive index " + index + " out of range 0.." + (COUNT - 1));
    }
    return VALUES[index];
  }

  /**
   * The primitive with this DARTS name (case-insensitive, surrounding blanks ignored).
   *
   * @throws IllegalArgumentException naming the unknown name and listing the valid ones
   */
  public static Primitive byName(String name) {
    Primitive p = find(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "unknown op '" + name + "'; valid ops: " + validNames());
    }
    return p;
  }

  /** The primitive with this DARTS name (case-insensitive), or null. */
  public static Primitive find(String name) {
    if (name == null) return null;
    String key = name.trim().toLowerCase(Locale.ROOT);
    for (Primitive p : VALUES) {
      if (p.dartsName.equals(key)) return p;
    }
    return null;
  }

  /** The DARTS names in column order, comma separated. */
  public static String validNames() {
    return Arrays.stream(VALUES).map(Primitive::dartsName).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return dartsName;
  }
}
