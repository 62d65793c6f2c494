package dev.pvll.data;

import dev.pvll.kernels.BatchShard;
import dev.pvll.kernels.CudaEvent;
import dev.pvll.kernels.CudaStream;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.PinnedBuffer;
import dev.pvll.kernels.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One epoch of batches over some samples of a data set, prepared by a background thread into
 * host native memory and double-buffered: while the caller works on batch i, batch i+1 is being
 * augmented and written into the other buffer.
 *
 * <pre>{@code
 * try (BatchLoader loader = new BatchLoader(train, split.train(), 64, aug, seed, epoch)) {
 *   while (loader.hasNext()) {
 *     Batch b = loader.next();   // valid until the next call
 *     ... b.images() [B,C,H,W], b.labels() [B] ...
 *   }
 * }
 * }</pre>
 *
 * The images and their random augmentation depend only on the data, the indices, the options and
 * (seed, epoch), never on timing. The background thread writes each batch into a Java staging
 * array, then with one native copy into a free buffer. Close the loader to stop the thread and
 * free the buffers; closing early is fine.
 *
 * <p>With {@link Options#withDevice a CUDA device} the batches are delivered on the GPU: the
 * background thread writes each batch into pinned host memory and enqueues its copy to the
 * device on a second (non-blocking) stream, so the copy of batch k+1 overlaps the ops on batch k.
 * {@link #next} makes the ops' stream wait for the batch's copy (an event, no host wait), and
 * the copy into a buffer waits for the ops enqueued before that buffer was given back.
 *
 * <p>With {@link Options#withShard a shard} (rank r of R in a data-parallel job) the loader
 * forms the same batches as a single process, but each {@link Batch} holds and augments only
 * rank r's share of its batch ({@link BatchShard}); {@link Batch#total()} is the whole batch's
 * size. Every rank gets every batch, possibly with no sample of its own.
 */
public final class BatchLoader implements Iterator<Batch>, AutoCloseable {
  /**
   * How to batch.
   *
   * @param batchSize samples per batch
   * @param augmentation what to do to each image (at least the normalisation)
   * @param seed the run's seed: the augmentation and the shuffle derive from it
   * @param epoch the epoch number: a different epoch gives different random draws
   * @param shuffle whether to visit the indices in a random order drawn from (seed, epoch)
   * @param dropLast whether to drop a last batch smaller than batchSize
   * @param device where batches are delivered
   * @param rank this rank's index: it receives its share of every batch ({@link BatchShard})
   * @param ranks the number of ranks the batches are shared by (1: whole batches)
   */
  public record Options(int batchSize, Augmentation augmentation, long seed, int epoch, boolean shuffle, boolean dropLast,
      Device device, int rank, int ranks) {
    /**
     * @throws IllegalArgumentException when batchSize is below 1 or epoch negative
     */
    public Options {
      if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
      if (ranks < 1 || rank < 0 || rank >= ranks) throw new IllegalArgumentException("rank " + rank + " of " + ranks);
      if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
      if (augmentation == null) throw new IllegalArgumentException("augmentation is required (Augmentation.none for normalisation only)");
      if (device == null) device = Device.cpu();
    }

    /** Batches in host memory (the CPU). */
    public Options(int batchSize, Augmentation augmentation, long seed, int epoch, boolean shuffle, boolean dropLast) {
      this(batchSize, augmentation, seed, epoch, shuffle, dropLast, Device.cpu(), 0, 1);
    }

    /** In the given order, keeping a last partial batch. */
    public static Options of(int batchSize, Augmentation augmentation, long seed, int epoch) {
      return new Options(batchSize, augmentation, seed, epoch, false, false);
    }

    /** The same with the per-epoch shuffle on or off. */
    public Options withShuffle(boolean on) {
      return new Options(batchSize, augmentation, seed, epoch, on, dropLast, device, rank, ranks);
    }

    /** The same keeping or dropping a last partial batch. */
    public Options withDropLast(boolean on) {
      return new Options(batchSize, augmentation, seed, epoch, shuffle, on, device, rank, ranks);
    }

    /** The same delivering batches on the given device (a GPU: through pinned memory and a copy stream). */
    public Options withDevice(Device target) {
      return new Options(batchSize, augmentation, seed, epoch, shuffle, dropLast, target, rank, ranks);
    }

    /** The same delivering only rank r's share of every batch, of ranks ranks ({@link BatchShard}). */
    public Options withShard(int r, int count) {
      return new Options(batchSize, augmentation, seed, epoch, shuffle, dropLast, device, r, count);
    }

    /** This rank's share of a batch of total samples. */
    BatchShard shardOf(int total) {
      return BatchShard.of(total, rank, ranks);
    }
  }

  private static final Slot FAILED = new Slot(null);

  /** One of the two buffers and the batch it currently holds. */
  private static final class Slot {
    final Tensor block; // where the batch is delivered: host memory, or the GPU
    final PinnedBuffer pinned; // GPU delivery only: the host side of the copy
    final CudaEvent copied; // GPU: recorded on the copy stream after the copy into block
    final CudaEvent released; // GPU: recorded on the ops' stream when the consumer gives the slot back
    int batch;
    int size;
    int total;

    Slot(Tensor block) {
      this(block, null, null, null);
    }

    Slot(Tensor block, PinnedBuffer pinned, CudaEvent copied, CudaEvent released) {
      this.block = block;
      this.pinned = pinned;
      this.copied = copied;
      this.released = released;
    }

    void free() {
      if (block != null) block.close();
      if (pinned != null) pinned.close();
      if (copied != null) copied.close();
      if (released != null) released.close();
    }
  }

  private final Dataset data;
  private final int[] order;
  private final Options options;
  private final int imageSize;
  private final int batches;
  private final BlockingQueue<Slot> free = new ArrayBlockingQueue<>(2);
  private final BlockingQueue<Slot> ready = new ArrayBlockingQueue<>(3);
  private final List<Slot> slots = new ArrayList<>(2);
  private final Thread producer;
  private CudaStream copies; // GPU delivery: the stream of the host-to-device copies
  private volatile Throwable failure;
  private int consumed;
  private Slot current;
  private Batch currentBatch;
  private boolean closed;

  /** A loader over indices in the given order, keeping a last partial batch. */
  public BatchLoader(Dataset data, int[] indices, int batchSize, Augmentation augmentation, long seed, int epoch) {
    this(data, indices, Options.of(batchSize, augmentation, seed, epoch));
  }

  /**
   * A loader over the samples {@code indices} of data.
   *
   * @throws IllegalArgumentException when an index is outside the data set or the normalisation does not fit its channels
   */
  public BatchLoader(Dataset data, int[] indices, Options options) {
    for (int i : indices) {
      if (i < 0 || i >= data.size()) throw new IllegalArgumentException("index " + i + " is outside " + data.name() + " (" + data.size() + " images)");
    }
    float[][] table = options.augmentation().normalization().table(data.channels());
    this.data = data;
    this.options = options;
    this.order = options.shuffle() ? Splits.shuffled(indices, options.seed(), options.epoch()) : indices.clone();
    this.imageSize = data.imageSize();
    int b = options.batchSize();
    this.batches = options.dropLast() ? order.length / b : (order.length + b - 1) / b;
    this.producer = new Thread(() -> produce(table), "pvll-batch-loader");
    producer.setDaemon(true);
    producer.start();
  }

  /** Number of batches in this epoch. */
  public int batchCount() {
    return batches;
  }

  /** The sample order of this epoch (data-set indices). */
  public int[] order() {
    return order.clone();
  }

  @Override
  public boolean hasNext() {
    return !closed && consumed < batches;
  }

  /**
   * The next batch; the previous batch's tensors become invalid.
   *
   * @throws NoSuchElementException after the last batch
   * @throws RuntimeException what the background thread failed with
   */
  @Override
  public Batch next() {
    if (closed) throw new IllegalStateException("batch loader is closed");
    if (consumed >= batches) throw new NoSuchElementException("no more batches (" + batches + " in this epoch)");
    releaseCurrent();
    Slot s;
    try {
      s = ready.poll(1, TimeUnit.SECONDS);
      while (s == null) {
        if (!producer.isAlive() && ready.isEmpty()) throw new IllegalStateException("batch loader thread stopped unexpectedly", failure);
        s = ready.poll(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a batch", e);
    }
    if (s == FAILED) {
      Throwable t = failure;
      if (t instanceof RuntimeException r) throw r;
      if (t instanceof Error err) throw err;
      throw new IllegalStateException("batch loader failed", t);
    }
    if (s.copied != null) s.copied.makeOpsWait();
    consumed++;
    current = s;
    int n = s.size;
    int first = s.batch * options.batchSize() + options.shardOf(s.total).start();
    int[] samples = Arrays.copyOfRange(order, first, first + n);
    Tensor block = s.block.view(0, n * imageSize + n);
    Tensor images = s.block.view(0, n, data.channels(), data.height(), data.width());
    Tensor labels = s.block.view((long) n * imageSize, n);
    currentBatch = new Batch(s.batch, samples, s.total, block, images, labels);
    return currentBatch;
  }

  private void releaseCurrent() {
    if (currentBatch != null) currentBatch.invalidate();
    currentBatch = null;
    if (current != null) {
      if (current.released != null) current.released.record(null); // after the ops that used it
      free.add(current);
    }
    current = null;
  }

  /** Stops the background thread and frees the buffers. Harmless when already closed. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (currentBatch != null) currentBatch.invalidate();
    producer.interrupt();
    boolean interrupted = false;
    while (producer.isAlive()) {
      try {
        producer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      if (copies != null) copies.synchronize(); // no copy may still read a pinned buffer
    } finally {
      for (Slot s : slots) s.free();
      if (copies != null) copies.close();
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private void produce(float[][] table) {
    try {
      int b = options.batchSize();
      int most = options.shardOf(b).size(); // no shard of a smaller batch is larger
      int full = most * imageSize + most;
      Device device = options.device();
      if (device.isCuda() && batches > 0) {
        copies = CudaStream.create(device);
        // The device buffers may come from blocks the ops' stream still uses: start the copies after that work.
        try (CudaEvent start = CudaEvent.create(device)) {
          for (int k = 0; k < 2 && k < batches; k++) {
            Slot s = new Slot(Tensor.empty(device, full), PinnedBuffer.allocate(full), CudaEvent.create(device),
                CudaEvent.create(device));
            slots.add(s);
            free.add(s);
          }
          start.record(null);
          copies.waitFor(start);
        }
      } else {
        for (int k = 0; k < 2 && k < batches; k++) {
          Slot s = new Slot(Tensor.empty(Device.cpu(), full));
          slots.add(s);
          free.add(s);
        }
      }
      float[] staging = new float[full];
      Augmentation aug = options.augmentation();
      for (int batch = 0; batch < batches; batch++) {
        int total = Math.min(b, order.length - batch * b);
        BatchShard shard = options.shardOf(total);
        int start = batch * b + shard.start();
        int n = shard.size();
        for (int k = 0; k < n; k++) {
          int idx = order[start + k];
          aug.apply(data, idx, options.seed(), options.epoch(), table, staging, k * imageSize);
          staging[n * imageSize + k] = data.label(idx);
        }
        Slot s = free.take();
        if (s.pinned != null) {
          int count = n * imageSize + n;
          s.copied.synchronize(); // the previous copy out of this pinned buffer is done
          s.pinned.write(staging, count);
          copies.waitFor(s.released); // the ops on this buffer's previous batch are done
          s.pinned.copyToAsync(0, s.block, count, copies, s.copied);
        } else if (n == most) {
          s.block.copyFrom(staging);
        } else if (n > 0) {
          try (Tensor part = s.block.view(0, n * imageSize + n)) {
            part.copyFrom(Arrays.copyOf(staging, n * imageSize + n));
          }
        }
        s.batch = batch;
        s.size = n;
        s.total = total;
        ready.put(s);
      }
    } catch (InterruptedException e) {
      // closed early
    } catch (Throwable t) {
      failure = t;
      ready.offer(FAILED);
    }
  }
}
