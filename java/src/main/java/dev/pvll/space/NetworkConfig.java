package dev.pvll.space;

import java.util.List;
import java.util.TreeSet;

/**
 * The shape of a DARTS network: how many cells, how wide, how many intermediate nodes per cell,
 * and the data it reads. Reduction cells sit at positions {@code cells/3} and {@code 2*cells/3}
 * (cells 2 and 5 of 8), as in DARTS; the channel count doubles at each of them.
 *
 * @param cells number of cells (8 in the search network, 20 in the evaluation network)
 * @param channels initial channels C (16 in search, 36 in evaluation)
 * @param nodes intermediate nodes per cell (4)
 * @param inputChannels image channels (3 for CIFAR-10, 1 for Fashion-MNIST)
 * @param classes number of classes (10)
 * @param imageSize image height and width (32 for CIFAR-10, 28 for Fashion-MNIST)
 * @param stemMultiplier the stem outputs stemMultiplier * channels channels (3)
 */
public record NetworkConfig(
    int cells,
    int channels,
    int nodes,
    int inputChannels,
    int classes,
    int imageSize,
    int stemMultiplier) {

  /** Checks every field; the message names the bad one. */
  public NetworkConfig {
    positive("cells", cells);
    positive("channels", channels);
    positive("nodes", nodes);
    positive("inputChannels", inputChannels);
    positive("imageSize", imageSize);
    positive("stemMultiplier", stemMultiplier);
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
    int size = imageSize;
    for (int cell = 0; cell < cells; cell++) {
      if (isReduction(cells, cell)) {
        // FactorizedReduce adds two stride-2 1x1 convolutions, one shifted by a pixel: their
        // outputs only agree in size when the input size is even.
        if (size % 2 != 0) {
          throw new IllegalArgumentException(
              "imageSize " + imageSize + " does not fit " + cells + " cells: reduction cell "
                  + cell + " would get " + size + "x" + size
                  + " inputs, and FactorizedReduce needs an even size");
        }
        size /= 2;
      }
    }
  }

  /** The DARTS search network for CIFAR-10: 8 cells, C = 16, 4 nodes, 3x32x32, 10 classes. */
  public static NetworkConfig cifar10Search() {
    return new NetworkConfig(8, 16, 4, 3, 10, 32, 3);
  }

  /** The search network for Fashion-MNIST: as {@link #cifar10Search()} with 1x28x28 images. */
  public static NetworkConfig fashionMnistSearch() {
    return new NetworkConfig(8, 16, 4, 1, 10, 28, 3);
  }

  /** This shape with another number of cells (e.g. 20 for the evaluation network). */
  public NetworkConfig withCells(int cells) {
    return new NetworkConfig(cells, channels, nodes, inputChannels, classes, imageSize, stemMultiplier);
  }

  /** This shape with another initial channel count (e.g. 36 for the evaluation network). */
  public NetworkConfig withChannels(int channels) {
    return new NetworkConfig(cells, channels, nodes, inputChannels, classes, imageSize, stemMultiplier);
  }

  /** This shape with another data set's images and classes. */
  public NetworkConfig withData(int inputChannels, int imageSize, int classes) {
    return new NetworkConfig(cells, channels, nodes, inputChannels, classes, imageSize, stemMultiplier);
  }

  /** The cell graph shared by every cell. */
  public CellTopology topology() {
    return CellTopology.of(nodes);
  }

  /** Edges per cell: rows of each A matrix. */
  public int edges() {
    return CellTopology.edgeCount(nodes);
  }

  /** True when cell {@code cell} (0-based) is a reduction cell. */
  public boolean isReduction(int cell) {
    if (cell < 0 || cell >= cells) {
      throw new IllegalArgumentException("cell " + cell + " out of range 0.." + (cells - 1));
    }
    return isReduction(cells, cell);
  }

  /** The reduction cell positions, ascending and distinct: cells/3 and 2*cells/3. */
  public List<Integer> reductionCells() {
    TreeSet<Integer> out = new TreeSet<>();
    out.add(cells / 3);
    out.add(2 * cells / 3);
    return List.copyOf(out);
  }

  /** Channels out of the stem: stemMultiplier * channels. */
  public int stemChannels() {
    return stemMultiplier * channels;
  }

  /** Height (= width) of the feature maps cell {@code cell} outputs. */
  public int outputSize(int cell) {
    int size = imageSize;
    for (int c = 0; c <= cell; c++) if (isReduction(c)) size /= 2;
    return size;
  }

  /** Channels per intermediate node in cell {@code cell}: C, doubled at every reduction so far. */
  public int cellChannels(int cell) {
    int c = channels;
    for (int i = 0; i <= cell; i++) if (isReduction(i)) c *= 2;
    return c;
  }

  private static boolean isReduction(int cells, int cell) {
    return cell == cells / 3 || cell == 2 * cells / 3;
  }

  private static void positive(String field, int value) {
    if (value < 1) throw new IllegalArgumentException(field + " must be >= 1, got " + value);
  }
}
