package dev.pvll.bench;

import dev.pvll.data.Augmentation;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.data.Dataset;
import dev.pvll.data.KnownDataset;
import dev.pvll.data.Normalization;
import dev.pvll.data.Splits;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Images per second of the batch loader alone (the consumer only takes the batches): 32x32 RGB,
 * random crop with padding 4, horizontal flip, cutout 16, CIFAR-10 normalisation, shuffled,
 * batch 64, written into native host memory. The score is images/s (one operation = one image).
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar LoaderBench}, or for a quick figure {@code
 * java -cp benchmarks/target/benchmarks.jar dev.pvll.bench.LoaderBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LoaderBench {
  static final int IMAGES = 10_000;

  @Param({"64"})
  int batchSize;

  Dataset data;
  int[] indices;
  Augmentation augmentation;
  int epoch;

  @Setup
  public void setup() {
    data = randomCifar(IMAGES);
    indices = Splits.range(IMAGES);
    augmentation = Augmentation.training(Normalization.CIFAR10).withCutout(16);
  }

  static Dataset randomCifar(int n) {
    byte[] px = new byte[n * 3072];
    new Random(1).nextBytes(px);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = i % 10;
    return new Dataset("random-cifar", px, labels, 3, 32, 32, KnownDataset.CIFAR10.classNames());
  }

  /** One shuffled epoch over 10,000 images. */
  @Benchmark
  @OperationsPerInvocation(IMAGES)
  public long epoch() {
    long seen = 0;
    BatchLoader.Options o = BatchLoader.Options.of(batchSize, augmentation, 42, epoch++).withShuffle(true);
    try (BatchLoader loader = new BatchLoader(data, indices, o)) {
      while (loader.hasNext()) {
        Batch b = loader.next();
        seen += b.size();
      }
    }
    return seen;
  }

  /** Quick measurement without JMH: 3 warm-up epochs, then 10 timed ones. */
  public static void main(String[] args) {
    LoaderBench b = new LoaderBench();
    b.batchSize = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    b.setup();
    for (int i = 0; i < 3; i++) b.epoch();
    int epochs = 10;
    long t0 = System.nanoTime();
    long images = 0;
    for (int i = 0; i < epochs; i++) images += b.epoch();
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("loader: %d images in %.2f s = %.0f images/s (32x32 RGB, crop+flip+cutout, batch %d)%n", images, s, images / s, b.batchSize);
  }
}
