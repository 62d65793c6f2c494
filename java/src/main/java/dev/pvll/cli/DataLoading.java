package dev.pvll.cli;

import dev.pvll.data.DataLocator;
import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.data.KnownDataset;
import dev.pvll.data.TrainTest;
import dev.pvll.search.SearchConfig;
import java.nio.file.Path;

/** Loads the data set a command names, the embedded Fashion-MNIST subset included. */
final class DataLoading {
  static final String EMBEDDED = "fashion-mnist-embedded";

  private DataLoading() {}

  /**
   * The named data set. The embedded subset (the first 10,000 Fashion-MNIST training images)
   * has no test split of its own: its last 2,000 images serve as one.
   */
  /** What a search uses: the training set only (split into training and validation halves); the embedded subset whole. */
  static Dataset searchSet(SearchConfig.Data d) {
    if (d.dataset().equals(EMBEDDED)) return Datasets.embeddedFashionMnist();
    return load(d.dataset(), d.dataDir()).train();
  }

  static TrainTest load(String name, String dataDir) {
    if (name.equals(EMBEDDED)) {
      Dataset all = Datasets.embeddedFashionMnist();
      int test = 2000;
      int[] trainIdx = new int[all.size() - test], testIdx = new int[test];
      for (int i = 0; i < trainIdx.length; i++) trainIdx[i] = i;
      for (int i = 0; i < test; i++) testIdx[i] = trainIdx.length + i;
      return new TrainTest(all.subset("train", trainIdx), all.subset("test", testIdx), "embedded in the pvll jar");
    }
    KnownDataset known = KnownDataset.parse(name);
    return Datasets.load(known, DataLocator.standard(dataDir == null ? null : Path.of(dataDir)));
  }
}
