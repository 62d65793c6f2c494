package dev.pvll.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Loading data sets by name: the embedded default, or a known data set from where it is found. */
public final class Datasets {
  /** The folder of the embedded subset inside the jar. */
  static final String EMBEDDED = "/dev/pvll/data/fashion-mnist-10k/";
  /** Number of images in the embedded subset. */
  public static final int EMBEDDED_SIZE = 10_000;

  private static volatile Dataset embedded;

  private Datasets() {}

  /**
   * The first 10,000 images and labels of the real Fashion-MNIST training set, shipped inside the
   * jar (see the README beside the files): 1x28x28, 10 classes, no download, no root.
   */
  public static Dataset embeddedFashionMnist() {
    Dataset d = embedded;
    if (d == null) {
      synchronized (Datasets.class) {
        if (embedded == null) {
          IdxReader.IdxArray images = IdxReader.parse(resource("train-images-idx3-ubyte.gz"), "jar:" + EMBEDDED + "train-images-idx3-ubyte.gz");
          IdxReader.IdxArray labels = IdxReader.parse(resource("train-labels-idx1-ubyte.gz"), "jar:" + EMBEDDED + "train-labels-idx1-ubyte.gz");
          embedded = IdxReader.toDataset(images, labels, "fashion-mnist-10k/train", KnownDataset.FASHION_MNIST.classNames());
        }
        d = embedded;
      }
    }
    return d;
  }

  private static byte[] resource(String name) {
    String path = EMBEDDED + name;
    try (InputStream in = Datasets.class.getResourceAsStream(path)) {
      if (in == null) throw new DatasetFormatException("jar:" + path, "resource missing from the jar");
      return Bytes.maybeGunzip(in.readAllBytes(), "jar:" + path);
    } catch (IOException e) {
      throw Bytes.readError("jar:" + path, e);
    }
  }

  /** The name of the embedded subset as run configurations spell it. */
  public static final String EMBEDDED_NAME = "fashion-mnist-embedded";

  /**
   * The training and test sets a run configuration names: {@link #EMBEDDED_NAME} (the embedded subset,
   * its last 2,000 images the test set) or a {@link KnownDataset} name found by
   * {@link DataLocator#standard} under dataDir (null: the standard places).
   */
  public static TrainTest byName(String name, String dataDir) {
    if (name.equals(EMBEDDED_NAME)) {
      Dataset all = embeddedFashionMnist();
      int test = 2000;
      int[] trainIdx = new int[all.size() - test], testIdx = new int[test];
      for (int i = 0; i < trainIdx.length; i++) trainIdx[i] = i;
      for (int i = 0; i < test; i++) testIdx[i] = trainIdx.length + i;
      return new TrainTest(all.subset("train", trainIdx), all.subset("test", testIdx), "embedded in the pvll jar");
    }
    return load(KnownDataset.parse(name), DataLocator.standard(dataDir == null ? null : Path.of(dataDir)));
  }

  /**
   * Reads a known data set from the first place the locator finds it.
   *
   * @throws DatasetNotFoundException listing the places searched
   * @throws DatasetFormatException when the files found are broken
   */
  public static TrainTest load(KnownDataset d, DataLocator locator) {
    return read(locator.find(d).orElseThrow(() -> notFound(d, locator)));
  }

  /** Reads the data set at a place found by {@link DataLocator}. */
  public static TrainTest read(DataLocator.Place place) {
    KnownDataset d = place.dataset();
    return switch (d) {
      case FASHION_MNIST, MNIST -> readIdxFolder(place.path(), d);
      case CIFAR10 -> CifarReader.readCifar10(place.path());
      case CIFAR100 -> CifarReader.readCifar100(place.path(), CifarReader.Cifar100Labels.FINE);
    };
  }

  /** The four IDX files (raw or .gz) of an MNIST-like data set in folder. */
  public static TrainTest readIdxFolder(Path folder, KnownDataset d) {
    Path[] f = new Path[4];
    for (int i = 0; i < 4; i++) {
      f[i] = DataLocator.idxFile(folder, DataLocator.IDX_FILES.get(i));
      if (f[i] == null) throw new DatasetFormatException(folder, "missing " + DataLocator.IDX_FILES.get(i) + "(.gz)");
    }
    Dataset train = IdxReader.readDataset(f[0], f[1], d.id() + "/train", d.classNames());
    Dataset test = IdxReader.readDataset(f[2], f[3], d.id() + "/test", d.classNames());
    if (train.height() != d.side() || train.width() != d.side() || test.height() != d.side() || test.width() != d.side()) {
      throw new DatasetFormatException(folder, "images are not " + d.side() + "x" + d.side() + " as " + d.id() + " should be");
    }
    return new TrainTest(train, test, folder.toString());
  }

  static DatasetNotFoundException notFound(KnownDataset d, DataLocator locator) {
    String where = locator.candidates(d).stream().map(p -> p.path() + " (" + p.origin() + ")").collect(Collectors.joining(", "));
    String hint = d.downloadable()
        ? "; run `pvll data download " + d.id() + "` (needs internet) or pass --data-dir"
        : "; put its files in a folder and pass --data-dir";
    return new DatasetNotFoundException(d.id() + " not found; looked in " + where + hint);
  }
}
