package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class EmbeddedDatasetTest {
  @Test
  void theEmbeddedSubsetLoadsWithOneCall() {
    Dataset d = Datasets.embeddedFashionMnist();
    assertEquals(Datasets.EMBEDDED_SIZE, d.size());
    assertEquals(1, d.channels());
    assertEquals(28, d.height());
    assertEquals(28, d.width());
    assertEquals(KnownDataset.FASHION_MNIST.classNames(), d.classNames());
    assertArrayEquals(new int[] {942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000}, d.classCounts(), "counts in the README");
    assertSame(d, Datasets.embeddedFashionMnist(), "read once");
  }

  @Test
  void itIsTheFirstTenThousandOfTheRealTrainingSet() {
    Assumptions.assumeTrue(Files.isDirectory(DataLocator.DEBIAN_FASHION_MNIST), "Debian's dataset-fashion-mnist is not installed");
    Dataset full = Datasets.readIdxFolder(DataLocator.DEBIAN_FASHION_MNIST, KnownDataset.FASHION_MNIST).train();
    Dataset e = Datasets.embeddedFashionMnist();
    assertEquals(60_000, full.size());
    Dataset head = full.first(Datasets.EMBEDDED_SIZE);
    assertArrayEquals(head.labels(), e.labels());
    for (int i = 0; i < e.size(); i += 1) {
      if (!java.util.Arrays.equals(head.image(i), e.image(i))) throw new AssertionError("image " + i + " differs");
    }
  }
}
