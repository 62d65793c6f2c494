package dev.pvll.data;

import dev.pvll.kernels.Tensor;

/**
 * One batch from a {@link BatchLoader}, in host (CPU) native memory, or on the GPU when the
 * loader was asked for a CUDA device ({@link BatchLoader.Options#withDevice}). Its tensors are views into
 * the loader's buffer: they are valid until the next call of {@link BatchLoader#next} or {@link
 * BatchLoader#close}, and any use after that throws {@link IllegalStateException}.
 *
 * <p>Images and labels lie back to back in one contiguous block ({@link #block}), so a GPU run can
 * move the whole batch with a single asynchronous copy.
 */
public final class Batch {
  private final int index;
  private final int[] samples;
  private final int total;
  private final Tensor block;
  private final Tensor images;
  private final Tensor labels;

  Batch(int index, int[] samples, int total, Tensor block, Tensor images, Tensor labels) {
    this.index = index;
    this.samples = samples;
    this.total = total;
    this.block = block;
    this.images = images;
    this.labels = labels;
  }

  /** Position of this batch in the epoch, from 0. */
  public int index() {
    return index;
  }

  /** Number of samples (the batch size, or fewer for a last partial batch; a sharded loader: this rank's share). */
  public int size() {
    return samples.length;
  }

  /** Samples of the whole batch across the ranks of a sharded loader (else {@link #size()}). */
  public int total() {
    return total;
  }

  /** The data-set indices of the samples, in batch order. */
  public int[] sampleIndices() {
    return samples.clone();
  }

  /** Augmented, normalised images [B, C, H, W]. */
  public Tensor images() {
    return images;
  }

  /** Labels [B] as floats (the loss kernels' convention). */
  public Tensor labels() {
    return labels;
  }

  /** Images then labels as one contiguous [B*C*H*W + B] block. */
  public Tensor block() {
    return block;
  }

  /** Marks the views closed: the memory is about to be reused. */
  void invalidate() {
    images.close();
    labels.close();
    block.close();
  }
}
