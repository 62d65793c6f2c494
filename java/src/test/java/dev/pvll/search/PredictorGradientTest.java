package dev.pvll.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Seeds;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** psi's backward against central finite differences in double, for every predictor. */
class PredictorGradientTest {
  static Stream<Arguments> predictors() {
    return Stream.of(
        Arguments.of("lstm", ArchEncoding.DARTS),
        Arguments.of("lstm", new ArchEncoding(2, 3)),
        Arguments.of("mlp", ArchEncoding.DARTS),
        Arguments.of("mlp2", new ArchEncoding(3, 5)),
        Arguments.of("opcount", ArchEncoding.DARTS),
        Arguments.of("opcount", new ArchEncoding(3, 5)),
        Arguments.of("ridge", ArchEncoding.DARTS),
        Arguments.of("ridge", new ArchEncoding(3, 5)),
        Arguments.of("kernel", ArchEncoding.DARTS),
        Arguments.of("kernel", new ArchEncoding(3, 5)),
        Arguments.of("kernel-ops", ArchEncoding.DARTS),
        Arguments.of("kernel-ops", new ArchEncoding(3, 5)));
  }

  static Predictor create(String kind, ArchEncoding enc, long seed) {
    return switch (kind) {
      case "lstm" -> new LstmPredictor(enc, seed);
      case "mlp" -> new MlpPredictor(enc, MlpPredictor.DEFAULT_HIDDEN, seed);
      case "opcount" -> {
        OpCountPredictor q = new OpCountPredictor(enc); // starts at zero: random parameters, or every gradient but the bias is trivial
        SplitMix64 r = new SplitMix64(seed);
        double[] p = q.parameters();
        for (int i = 0; i < p.length; i++) p[i] = r.uniform(-0.3, 0.3);
        yield q;
      }
      case "ridge" -> {
        RidgePredictor q = new RidgePredictor(enc); // zero until fitted: random parameters
        SplitMix64 r = new SplitMix64(seed);
        double[] p = q.parameters();
        for (int i = 0; i < p.length; i++) p[i] = r.uniform(-0.3, 0.3);
        yield q;
      }
      case "kernel", "kernel-ops" -> {
        // 2 soft supports (the tests' x3 makes the count 6 of 8: the extra supports are zero vectors, alpha 0)
        SplitMix64 r = new SplitMix64(seed);
        KernelPredictor q = kind.equals("kernel") ? new KernelPredictor(enc, 8) : new KernelPredictor(enc, 8, opAttributes(enc, r));
        double[] p = q.parameters();
        p[0] = 2;
        p[1] = r.uniform(0.2, 1); // c
        p[2] = r.uniform(0.02, 0.1); // g
        p[3] = r.uniform(-0.3, 0.3); // mu
        for (int i = 0; i < 2; i++) {
          p[4 + i] = r.uniform(-0.3, 0.3);
          System.arraycopy(randomH(enc, r), 0, p, 4 + 8 + i * enc.size(), enc.size());
        }
        yield q;
      }
      default -> new MlpPredictor(enc, new int[] {7, 5}, seed);
    };
  }

  /** The DARTS ops' attributes, or for another op count 3 random attributes in [0, 1) per op. */
  static double[][] opAttributes(ArchEncoding enc, SplitMix64 r) {
    if (enc.ops() == dev.pvll.space.Primitive.COUNT) return KernelPredictor.dartsOpAttributes();
    double[][] a = new double[enc.ops()][3];
    for (double[] row : a) for (int j = 0; j < row.length; j++) row[j] = r.nextDouble();
    return a;
  }

  /** Row-wise softmax of N(0, 2^2) logits: a soft architecture encoding. */
  static double[] randomH(ArchEncoding enc, SplitMix64 r) {
    double[] a = new double[enc.size()], g = new double[enc.size()];
    for (int i = 0; i < a.length; i++) a[i] = 2 * r.nextGaussian();
    return Architect.softH(enc, a, g, 1.0);
  }

  @ParameterizedTest
  @MethodSource("predictors")
  void parameterGradientMatchesFiniteDifferences(String kind, ArchEncoding enc) {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    Predictor psi = create(kind, enc, r.nextLong());
    double[] p = psi.parameters();
    for (int i = 0; i < p.length; i++) p[i] *= 3; // away from the near-linear regime of the init
    double[] h = randomH(enc, r);
    double dOut = 1.7;
    double[] analytic = new double[p.length];
    analytic[0] = 0.25; // backward accumulates
    double value = psi.backward(h, dOut, analytic, null);
    analytic[0] -= 0.25;
    assertEquals(psi.predict(h), value, 0.0);
    double[] fd = FiniteDifferences.gradient(q -> dOut * psi.predict(h), p, 1e-6);
    FiniteDifferences.assertClose(psi.describe() + " d psi / d theta", fd, analytic, 1e-8, 1e-6, seed);
  }

  @ParameterizedTest
  @MethodSource("predictors")
  void inputGradientMatchesFiniteDifferences(String kind, ArchEncoding enc) {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    Predictor psi = create(kind, enc, r.nextLong());
    double[] p = psi.parameters();
    for (int i = 0; i < p.length; i++) p[i] *= 3;
    double[] h = randomH(enc, r);
    double[] analytic = new double[h.length];
    java.util.Arrays.fill(analytic, 42); // overwritten
    psi.backward(h, -0.8, null, analytic);
    double[] fd = FiniteDifferences.gradient(x -> -0.8 * psi.predict(x), h, 1e-6);
    FiniteDifferences.assertClose(psi.describe() + " d psi / d H", fd, analytic, 1e-8, 1e-6, seed);
  }

  @ParameterizedTest
  @MethodSource("predictors")
  void batchedPathAgreesWithOneSamplePath(String kind, ArchEncoding enc) {
    long seed = Seeds.next();
    SplitMix64 r = new SplitMix64(seed);
    Predictor psi = create(kind, enc, r.nextLong());
    double[][] hs = new double[13][];
    double[] dOut = new double[hs.length];
    for (int i = 0; i < hs.length; i++) {
      hs[i] = randomH(enc, r);
      dOut[i] = r.nextGaussian();
    }
    double[] batched = psi.forwardBatch(hs), gradBatched = new double[psi.parameterCount()], grad = new double[psi.parameterCount()];
    psi.backwardBatch(hs, dOut, gradBatched);
    for (int i = 0; i < hs.length; i++) {
      assertEquals(psi.predict(hs[i]), batched[i], 1e-14);
      psi.backward(hs[i], dOut[i], grad, null);
    }
    FiniteDifferences.assertClose(psi.describe() + " batched vs one-sample gradient", grad, gradBatched, 1e-13, 1e-12, seed);
    assertEquals(0, psi.forwardBatch(new double[0][]).length);
  }

  @Test
  void lstmHasMethodsParameterCountPyTorchInitAndIsDeterministic() {
    LstmPredictor psi = new LstmPredictor(ArchEncoding.DARTS, 11);
    assertEquals(1681, psi.parameterCount());
    assertEquals(1681, LstmPredictor.parameterCount(8, 16));
    double max = 0;
    for (double x : psi.parameters()) max = Math.max(max, Math.abs(x));
    assertTrue(max <= 0.25 && max > 0.24, "init within U(-1/4, 1/4), max |p| = " + max);
    double[] h = randomH(ArchEncoding.DARTS, new SplitMix64(3));
    double y = psi.predict(h);
    assertTrue(y > 0 && y < 2, "2*sigmoid range: " + y);
    assertEquals(y, new LstmPredictor(ArchEncoding.DARTS, 11).predict(h), 0.0);
    assertEquals(y, psi.copy().predict(h), 0.0);
    assertTrue(y != new LstmPredictor(ArchEncoding.DARTS, 12).predict(h));
    MlpPredictor mlp = new MlpPredictor(ArchEncoding.DARTS, new int[] {32}, 1);
    assertEquals(224 * 32 + 32 + 32 + 1, mlp.parameterCount());
  }
}
