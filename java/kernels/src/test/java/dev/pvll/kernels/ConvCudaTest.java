package dev.pvll.kernels;

import dev.pvll.testing.Seeds;
import dev.pvll.testing.TestDevices;
import dev.pvll.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every conv op and direction on CUDA against the CPU kernels (the device script runs every
 * *CudaTest on the lent GPU, where libtorch is not carried, so this class uses no libtorch).
 * Fresh random inputs each run; odd shapes (channels not a multiple of 8, 7x7, batch 1, stride
 * 2 on odd sizes, dilation 2 on 8x8), the search shapes at batch 64, kernel sizes that take the
 * generic and the global-memory depthwise paths, conv2d with and without bias and with a
 * K-split weight gradient. Every output is poisoned with NaN before each run, so an element a
 * kernel does not write fails; accumulate is checked on and off; the weight gradients, whose
 * reduction is split over blocks, must be bit-identical from one run to the next.
 *
 * <p>Tolerance as in ConvOpsTest: {@code atol = 1e-6 sqrt(t)} (forward, input gradient) or
 * {@code 5e-6 sqrt(t)} (weight and bias gradients), {@code rtol = 1e-5}, t the number of terms
 * in each sum: both sides sum in float, in different orders. Skipped where no GPU is usable;
 * with {@code -Dpvll.sanitize=true} (the compute-sanitizer stages) the large cases are skipped.
 */
class ConvCudaTest {
  /** One call configuration; kind is conv2d, depthwise or pointwise. */
  record Case(String kind, int n, int cin, int h, int w, int cout, int k, int stride, int padding, int dilation,
      boolean bias) {
    int oh() {
      return ConvOps.outputSize(h, k, stride, padding, dilation);
    }

    int ow() {
      return ConvOps.outputSize(w, k, stride, padding, dilation);
    }

    int[] xShape() {
      return new int[] {n, cin, h, w};
    }

    int[] wShape() {
      return kind.equals("depthwise") ? new int[] {cin, 1, k, k} : new int[] {cout, cin, k, k};
    }

    int[] yShape() {
      return new int[] {n, cout, oh(), ow()};
    }

    @Override
    public String toString() {
      return String.format("%s n%d cin%d %dx%d cout%d k%d s%d p%d d%d%s", kind, n, cin, h, w, cout, k, stride, padding,
          dilation, bias ? " bias" : "");
    }
  }

  static Case depthwise(int n, int c, int h, int w, int k, int stride, int dilation) {
    return new Case("depthwise", n, c, h, w, c, k, stride, dilation * (k - 1) / 2, dilation, false);
  }

  static Case pointwise(int n, int cin, int h, int w, int cout) {
    return new Case("pointwise", n, cin, h, w, cout, 1, 1, 0, 1, false);
  }

  static Case conv(int n, int cin, int h, int w, int cout, int k, int stride, int padding, int dilation, boolean bias) {
    return new Case("conv2d", n, cin, h, w, cout, k, stride, padding, dilation, bias);
  }

  static Stream<Case> cases() {
    List<Case> all = new ArrayList<>();
    int[][] planes = {{2, 5, 7, 7}, {1, 3, 8, 8}, {2, 4, 9, 11}, {1, 16, 32, 32}, {3, 10, 14, 14}};
    for (int[] p : planes)
      for (int k : new int[] {3, 5})
        for (int s : new int[] {1, 2})
          for (int d : new int[] {1, 2}) all.add(depthwise(p[0], p[1], p[2], p[3], k, s, d));
    // the search shapes, batch 64
    for (int[] p : new int[][] {{64, 16, 32, 32}, {64, 32, 16, 16}, {64, 64, 8, 8}})
      for (int k : new int[] {3, 5}) {
        all.add(depthwise(p[0], p[1], p[2], p[3], k, 1, 1));
        all.add(depthwise(p[0], p[1], p[2], p[3], k, 2, 2));
      }
    // other kernel sizes: the run-time-k tiles, the global-memory weight gradient, and a window
    // too large for shared memory (k 15, dilation 8: every direction on the global-memory path)
    all.add(depthwise(2, 6, 13, 12, 7, 1, 3));
    all.add(depthwise(2, 6, 13, 12, 1, 2, 1));
    all.add(depthwise(1, 3, 9, 10, 15, 2, 8));
    all.add(depthwise(2, 3, 70, 67, 3, 2, 1)); // planes larger than one tile

    all.add(pointwise(2, 16, 32, 32, 16));
    all.add(pointwise(1, 3, 7, 7, 5));
    all.add(pointwise(3, 17, 5, 9, 13));
    all.add(pointwise(1, 64, 8, 8, 64));
    all.add(pointwise(2, 33, 14, 14, 30));
    all.add(pointwise(64, 16, 32, 32, 16));
    all.add(pointwise(64, 64, 8, 8, 64));
    all.add(pointwise(4, 200, 6, 6, 150)); // several GEMM tiles in M and N

    all.add(conv(2, 3, 32, 32, 48, 3, 1, 1, 1, true)); // stem
    all.add(conv(64, 3, 32, 32, 48, 3, 1, 1, 1, true)); // stem at batch 64
    all.add(conv(2, 1, 28, 28, 48, 3, 1, 1, 1, true)); // Fashion-MNIST stem
    all.add(conv(2, 16, 9, 9, 8, 1, 2, 0, 1, false)); // FactorizedReduce on an odd map
    all.add(conv(64, 16, 32, 32, 8, 1, 2, 0, 1, false)); // FactorizedReduce at the search shape
    all.add(conv(3, 16, 2, 2, 24, 1, 1, 0, 1, true)); // auxiliary head 1x1 (the pointwise path with bias)
    all.add(conv(3, 16, 2, 2, 24, 2, 1, 0, 1, true)); // auxiliary head 2x2
    all.add(conv(1, 3, 11, 10, 7, 5, 1, 2, 1, true));
    all.add(conv(2, 5, 9, 8, 6, 3, 2, 2, 2, true));
    all.add(conv(1, 4, 7, 7, 6, 2, 2, 0, 1, false));
    all.add(conv(8, 32, 16, 16, 40, 3, 1, 1, 1, true)); // K-split weight gradient
    return all.stream();
  }

  static Tolerance tolerance(double terms) {
    return CudaPair.sums(terms);
  }

  static Tolerance reductionTolerance(double terms) {
    return new Tolerance(5e-6 * Math.sqrt(terms), 1e-5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void cudaMatchesCpu(Case c) {
    Device gpu = Device.cuda(0);
    TestDevices.assumePresent(gpu);
    Assumptions.assumeFalse(Boolean.getBoolean("pvll.sanitize") && (long) c.n * c.cin * c.h * c.w > 100_000,
        "large case skipped under compute-sanitizer (-Dpvll.sanitize=true)");
    long seed = Seeds.next();
    Random r = new Random(seed);
    int[] xs = c.xShape(), ws = c.wShape(), ys = c.yShape();
    float[] x = Seeds.normal(r, (int) Tensor.count(xs)), w = Seeds.normal(r, (int) Tensor.count(ws));
    float[] b = Seeds.normal(r, c.cout), dy = Seeds.normal(r, (int) Tensor.count(ys));
    int cinG = c.kind.equals("depthwise") ? 1 : c.cin, coutG = c.kind.equals("depthwise") ? 1 : c.cout;
    Tolerance fwd = tolerance(cinG * c.k * c.k), bwdIn = tolerance(coutG * c.k * c.k);
    Tolerance bwdW = reductionTolerance((double) c.n * c.oh() * c.ow());

    Result cpu = run(c, Device.cpu(), x, w, b, dy);
    Result cuda = run(c, gpu, x, w, b, dy);
    fwd.assertClose(c + " forward", cpu.y, cuda.y, seed);
    bwdIn.assertClose(c + " backward input", cpu.dx, cuda.dx, seed);
    bwdW.assertClose(c + " backward weight", cpu.dw, cuda.dw, seed);
    bwdIn.assertClose(c + " backward input, accumulate", cpu.dxAcc, cuda.dxAcc, seed);
    bwdW.assertClose(c + " backward weight, accumulate", cpu.dwAcc, cuda.dwAcc, seed);
    if (c.bias) {
      bwdW.assertClose(c + " backward bias", cpu.db, cuda.db, seed);
      bwdW.assertClose(c + " backward bias, accumulate", cpu.dbAcc, cuda.dbAcc, seed);
    }
    Tolerance.EXACT.assertClose(c + " backward weight, second run (determinism)", cuda.dw, cuda.dwAgain, seed);
    Tolerance.EXACT.assertClose(c + " forward, second run", cuda.y, cuda.yAgain, seed);
  }

  /** The outputs of one device; the accumulate runs start from 0.5 (dx), -0.25 (dw), 2 (dbias). */
  record Result(float[] y, float[] yAgain, float[] dx, float[] dw, float[] db, float[] dxAcc, float[] dwAcc,
      float[] dbAcc, float[] dwAgain) {}

  static Result run(Case c, Device device, float[] x, float[] w, float[] b, float[] dy) {
    try (Scope s = Scope.open()) {
      Tensor tx = Tensor.of(device, x, c.xShape()), tw = Tensor.of(device, w, c.wShape());
      Tensor tb = Tensor.of(device, b, c.cout), tdy = Tensor.of(device, dy, c.yShape());
      Tensor y = Tensor.full(device, Float.NaN, c.yShape());
      Tensor dx = Tensor.full(device, Float.NaN, c.xShape()), dw = Tensor.full(device, Float.NaN, c.wShape());
      Tensor db = Tensor.full(device, Float.NaN, c.cout);
      forward(c, tx, tw, tb, y);
      backwardInput(c, tdy, tw, dx, false);
      backwardWeight(c, tx, tdy, dw, db, false);
      float[] outY = y.toArray(), outDx = dx.toArray(), outDw = dw.toArray(), outDb = db.toArray();

      y.fill(Float.NaN);
      forward(c, tx, tw, tb, y);
      dw.fill(Float.NaN);
      db.fill(Float.NaN);
      backwardWeight(c, tx, tdy, dw, db, false);
      float[] yAgain = y.toArray(), dwAgain = dw.toArray();

      dx.fill(0.5f);
      dw.fill(-0.25f);
      db.fill(2f);
      backwardInput(c, tdy, tw, dx, true);
      backwardWeight(c, tx, tdy, dw, db, true);
      return new Result(outY, yAgain, outDx, outDw, outDb, dx.toArray(), dw.toArray(), db.toArray(), dwAgain);
    }
  }

  static void forward(Case c, Tensor x, Tensor w, Tensor b, Tensor y) {
    switch (c.kind) {
      case "depthwise" -> ConvOps.depthwiseForward(x, w, y, c.stride, c.dilation);
      case "pointwise" -> ConvOps.pointwiseForward(x, w, y);
      default -> ConvOps.conv2dForward(x, w, c.bias ? b : null, y, c.stride, c.padding, c.dilation);
    }
  }

  static void backwardInput(Case c, Tensor dy, Tensor w, Tensor dx, boolean accumulate) {
    switch (c.kind) {
      case "depthwise" -> ConvOps.depthwiseBackwardInput(dy, w, dx, c.stride, c.dilation, accumulate);
      case "pointwise" -> ConvOps.pointwiseBackwardInput(dy, w, dx, accumulate);
      default -> ConvOps.conv2dBackwardInput(dy, w, dx, c.stride, c.padding, c.dilation, accumulate);
    }
  }

  static void backwardWeight(Case c, Tensor x, Tensor dy, Tensor dw, Tensor db, boolean accumulate) {
    switch (c.kind) {
      case "depthwise" -> ConvOps.depthwiseBackwardWeight(x, dy, dw, c.stride, c.dilation, accumulate);
      case "pointwise" -> ConvOps.pointwiseBackwardWeight(x, dy, dw, accumulate);
      default -> ConvOps.conv2dBackwardWeight(x, dy, dw, c.bias ? db : null, c.stride, c.padding, c.dilation,
          accumulate);
    }
  }
}
