package dev.pvll.data;

import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Index lists over a data set: the train/validation split of a training set and the per-epoch
 * sample order. The test set is never split; it stays a separate {@link Dataset}.
 */
public final class Splits {
  /** METHOD.md: first half trains the weights, second half gives the validation losses. */
  public static final double DEFAULT_TRAIN_FRACTION = 0.5;

  private Splits() {}

  /**
   * Indices into a training set, split in two.
   *
   * @param train the samples that train the network weights
   * @param validation the samples whose loss labels an architecture
   */
  public record Split(int[] train, int[] validation) {}

  /** The default split: first half train, second half validation, no shuffling. */
  public static Split trainValidation(int n) {
    return trainValidation(n, DEFAULT_TRAIN_FRACTION, OptionalLong.empty());
  }

  /**
   * The first {@code floor(n * trainFraction)} samples train, the rest validate. With a shuffle
   * seed the samples are first permuted by a Fisher-Yates shuffle drawn from that seed, so the
   * same seed always gives the same split.
   *
   * @throws IllegalArgumentException when trainFraction is not strictly between 0 and 1 or a part would be empty
   */
  public static Split trainValidation(int n, double trainFraction, OptionalLong shuffleSeed) {
    if (!(trainFraction > 0 && trainFraction < 1)) {
      throw new IllegalArgumentException("train fraction must be strictly between 0 and 1, got " + trainFraction);
    }
    int nTrain = (int) Math.floor(n * trainFraction);
    if (nTrain == 0 || nTrain == n) {
      throw new IllegalArgumentException("a train fraction of " + trainFraction + " of " + n + " samples leaves one part empty");
    }
    int[] order = range(n);
    if (shuffleSeed.isPresent()) shuffleInPlace(order, new SplittableRandom(shuffleSeed.getAsLong()));
    int[] train = java.util.Arrays.copyOfRange(order, 0, nTrain);
    int[] val = java.util.Arrays.copyOfRange(order, nTrain, n);
    return new Split(train, val);
  }

  /** 0, 1, ..., n-1. */
  public static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  /** A permutation of indices that depends only on (seed, epoch): the sample order of one epoch. */
  public static int[] shuffled(int[] indices, long seed, int epoch) {
    int[] out = indices.clone();
    shuffleInPlace(out, new SplittableRandom(Augmentation.mix(seed, 0x5AFEL, epoch)));
    return out;
  }

  private static void shuffleInPlace(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
