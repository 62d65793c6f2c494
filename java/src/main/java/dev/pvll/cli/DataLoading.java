package dev.pvll.cli;

import dev.pvll.data.Dataset;
import dev.pvll.data.Datasets;
import dev.pvll.data.TrainTest;
import dev.pvll.search.SearchConfig;

/** Loads the data set a command names, the embedded Fashion-MNIST subset included. */
final class DataLoading {
  static final String EMBEDDED = Datasets.EMBEDDED_NAME;

  private DataLoading() {}

  /** What a search uses: the training set only (split into training and validation halves); the embedded subset whole. */
  static Dataset searchSet(SearchConfig.Data d) {
    if (d.dataset().equals(EMBEDDED)) return Datasets.embeddedFashionMnist();
    return load(d.dataset(), d.dataDir()).train();
  }

  /** The named data set ({@link Datasets#byName}: the embedded subset's last 2,000 images serve as its test split). */
  static TrainTest load(String name, String dataDir) {
    return Datasets.byName(name, dataDir);
  }
}
