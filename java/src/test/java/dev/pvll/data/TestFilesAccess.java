package dev.pvll.data;

import java.nio.file.Path;
import java.util.Random;

/** Lets tests in other packages generate data files. */
public final class TestFilesAccess {
  private TestFilesAccess() {}

  /** Writes random gzip IDX files of Fashion-MNIST's shape into dir. */
  public static void writeFashionMnist(Path dir, int nTrain, int nTest) {
    TestFiles.writeIdxFolder(dir, new Random(nTrain * 31L + nTest), nTrain, nTest, 28, true);
  }
}
