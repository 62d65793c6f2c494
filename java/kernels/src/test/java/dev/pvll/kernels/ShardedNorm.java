package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Synchronised batch norm run shard by shard in one process, the all-reduce being the sum of the
 * shards' double buffers on the host; and the same batch through the fused whole-batch kernels.
 * Used by SyncBatchNormTest, SyncBatchNormCudaTest and the mpirun worker (MpiWorker).
 */
final class ShardedNorm {
  static final float MOMENTUM = 0.1f, EPS = 1e-5f;

  /** A batch [N, C, H, W] with its output gradient, affine parameters and running statistics. */
  record Batch(int[] shape, float[] x, float[] dy, float[] gamma, float[] beta, float[] runningMean,
      float[] runningVar) {
    int n() {
      return shape[0];
    }

    int c() {
      return shape[1];
    }

    int sample() {
      return shape[1] * shape[2] * shape[3];
    }
  }

  /** What a training step's batch norm produces. dgamma/dbeta: the batch's (shards' shares summed). */
  record Result(float[] y, float[] mean, float[] invstd, float[] runningMean, float[] runningVar, float[] dx,
      float[] dgamma, float[] dbeta) {}

  private ShardedNorm() {}

  /** Random values with a mean far from 0 (it tests the shifted sums). */
  static Batch random(Random r, int... shape) {
    int size = shape[0] * shape[1] * shape[2] * shape[3], c = shape[1];
    float[] x = Seeds.normal(r, size);
    for (int i = 0; i < size; i++) x[i] = x[i] * 1.5f + 3f;
    return new Batch(shape.clone(), x, Seeds.normal(r, size), Seeds.uniform(r, c, 0.5f, 1.5f), Seeds.normal(r, c),
        Seeds.normal(r, c), Seeds.uniform(r, c, 0.5f, 2f));
  }

  /** The shards of n samples in consecutive blocks of the given sizes (summing to n). */
  static int[][] contiguous(int n, int... sizes) {
    int[][] shards = new int[sizes.length][];
    int start = 0;
    for (int k = 0; k < sizes.length; k++) {
      shards[k] = IntStream.range(start, start + sizes[k]).toArray();
      start += sizes[k];
    }
    if (start != n) throw new IllegalArgumentException("shard sizes sum to " + start + ", not " + n);
    return shards;
  }

  /** Sample i to shard i % ranks (a strided sampler's split). */
  static int[][] interleaved(int n, int ranks) {
    int[][] shards = new int[ranks][];
    for (int k = 0; k < ranks; k++) shards[k] = IntStream.iterate(k, i -> i < n, i -> i + ranks).toArray();
    return shards;
  }

  /** The fused single-process kernels on the whole batch. */
  static Result whole(Device device, Batch b) {
    try (Scope scope = Scope.open()) {
      int c = b.c();
      Tensor x = Tensor.of(device, b.x(), b.shape()), gamma = Tensor.of(device, b.gamma(), c),
          beta = Tensor.of(device, b.beta(), c), y = Tensor.empty(device, b.shape()), mean = Tensor.empty(device, c),
          invstd = Tensor.empty(device, c), rm = Tensor.of(device, b.runningMean(), c),
          rv = Tensor.of(device, b.runningVar(), c);
      NormOps.batchNormTrainForward(x, gamma, beta, y, mean, invstd, rm, rv, MOMENTUM, EPS);
      Tensor dy = Tensor.of(device, b.dy(), b.shape()), dx = Tensor.empty(device, b.shape()),
          dgamma = Tensor.empty(device, c), dbeta = Tensor.empty(device, c);
      NormOps.batchNormBackward(x, dy, mean, invstd, gamma, dx, dgamma, dbeta, false);
      return new Result(y.toArray(), mean.toArray(), invstd.toArray(), rm.toArray(), rv.toArray(), dx.toArray(),
          dgamma.toArray(), dbeta.toArray());
    }
  }

  /**
   * The split kernels on each shard, their buffers summed on the host (last shard first when
   * reverse), outputs gathered back into batch order.
   */
  static Result sharded(Device device, Batch b, int[][] shards, boolean reverse) {
    int c = b.c(), sample = b.sample();
    try (Scope scope = Scope.open()) {
      Tensor gamma = Tensor.of(device, b.gamma(), c), beta = Tensor.of(device, b.beta(), c);
      List<Tensor> xs = new ArrayList<>(), dys = new ArrayList<>();
      List<double[]> stats = new ArrayList<>();
      for (int[] shard : shards) {
        int[] shape = {shard.length, b.shape()[1], b.shape()[2], b.shape()[3]};
        xs.add(Tensor.of(device, gather(b.x(), shard, sample), shape));
        dys.add(Tensor.of(device, gather(b.dy(), shard, sample), shape));
        try (NativeDoubles s = NativeDoubles.zeros(device, 2L * c + 1)) {
          NormOps.batchNormStats(xs.get(xs.size() - 1), s);
          stats.add(s.toArray());
        }
      }
      Tensor mean = Tensor.empty(device, c), var = Tensor.empty(device, c), invstd = Tensor.empty(device, c),
          rm = Tensor.of(device, b.runningMean(), c), rv = Tensor.of(device, b.runningVar(), c);
      try (NativeDoubles total = NativeDoubles.of(device, sum(stats, reverse))) {
        NormOps.batchNormStatsFinish(total, mean, var, invstd, rm, rv, MOMENTUM, EPS);
      }
      float[] y = new float[b.x().length], dx = new float[b.x().length];
      float[] dgamma = new float[c], dbeta = new float[c];
      List<double[]> sums = new ArrayList<>();
      for (int k = 0; k < shards.length; k++) {
        Tensor x = xs.get(k), dy = dys.get(k);
        if (shards[k].length > 0) {
          Tensor yk = Tensor.empty(device, x.shape());
          NormOps.batchNormInferenceForward(x, gamma, beta, mean, var, yk, EPS);
          scatter(yk.toArray(), shards[k], sample, y);
        }
        Tensor dg = Tensor.empty(device, c), db = Tensor.empty(device, c);
        try (NativeDoubles s = NativeDoubles.zeros(device, 2L * c + 1)) {
          NormOps.batchNormBackwardStats(x, dy, mean, invstd, s, dg, db);
          sums.add(s.toArray());
        }
        float[] dgk = dg.toArray(), dbk = db.toArray();
        for (int ch = 0; ch < c; ch++) {
          dgamma[ch] += dgk[ch];
          dbeta[ch] += dbk[ch];
        }
      }
      try (NativeDoubles total = NativeDoubles.of(device, sum(sums, reverse))) {
        for (int k = 0; k < shards.length; k++) {
          if (shards[k].length == 0) continue;
          Tensor dxk = Tensor.empty(device, xs.get(k).shape());
          NormOps.batchNormBackwardApply(xs.get(k), dys.get(k), mean, invstd, gamma, total, dxk, false);
          scatter(dxk.toArray(), shards[k], sample, dx);
        }
      }
      return new Result(y, mean.toArray(), invstd.toArray(), rm.toArray(), rv.toArray(), dx, dgamma, dbeta);
    }
  }

  static float[] gather(float[] batch, int[] samples, int sample) {
    float[] out = new float[samples.length * sample];
    for (int k = 0; k < samples.length; k++) System.arraycopy(batch, samples[k] * sample, out, k * sample, sample);
    return out;
  }

  static void scatter(float[] part, int[] samples, int sample, float[] batch) {
    for (int k = 0; k < samples.length; k++) System.arraycopy(part, k * sample, batch, samples[k] * sample, sample);
  }

  private static double[] sum(List<double[]> parts, boolean reverse) {
    double[] total = new double[parts.get(0).length];
    for (int k = 0; k < parts.size(); k++) {
      double[] part = parts.get(reverse ? parts.size() - 1 - k : k);
      for (int i = 0; i < total.length; i++) total[i] += part[i];
    }
    return total;
  }
}
