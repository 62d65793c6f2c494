package dev.pvll.supernet;

/**
 * Shape of a search or evaluation network. Reduction cells sit at cells/3 and 2*cells/3.
 *
 * @param cells number of cells (8 in the DARTS search network)
 * @param channels initial channels C (16)
 * @param nodes intermediate nodes per cell (4, giving 14 edges)
 * @param inputChannels image channels (3 for CIFAR, 1 for Fashion-MNIST)
 * @param classes output classes
 * @param imageSize image height = width
 * @param stemMultiplier stem output is stemMultiplier * C channels (3)
 */
public record SupernetConfig(int cells, int channels, int nodes, int inputChannels, int classes, int imageSize, int stemMultiplier) {
  public SupernetConfig {
    require(cells >= 1, "cells", cells);
    require(channels >= 1, "channels", channels);
    require(nodes >= 1, "nodes", nodes);
    require(inputChannels >= 1, "inputChannels", inputChannels);
    require(classes >= 2, "classes", classes);
    require(imageSize >= 4, "imageSize", imageSize);
    require(stemMultiplier >= 1, "stemMultiplier", stemMultiplier);
  }

  /** The DARTS search network on CIFAR-10: 8 cells, C=16, 4 nodes, 3x32x32, 10 classes. */
  public static SupernetConfig cifar10Search() {
    return new SupernetConfig(8, 16, 4, 3, 10, 32, 3);
  }

  /** The search network on Fashion-MNIST: 8 cells, C=16, 1x28x28. */
  public static SupernetConfig fashionMnistSearch() {
    return new SupernetConfig(8, 16, 4, 1, 10, 28, 3);
  }

  /** Edges per cell: 2 + 3 + ... + (nodes + 1). */
  public int edgesPerCell() {
    return nodes * (nodes + 3) / 2;
  }

  /** Whether cell i is a reduction cell. */
  public boolean isReduction(int cell) {
    return cells >= 3 ? cell == cells / 3 || cell == 2 * cells / 3 : false;
  }

  /** First edge index of intermediate node j (0-based) within a cell. */
  public static int firstEdge(int node) {
    return node * (node + 3) / 2;
  }

  private static void require(boolean ok, String field, int value) {
    if (!ok) throw new IllegalArgumentException("network configuration: invalid " + field + " = " + value);
  }
}
