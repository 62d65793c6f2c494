package dev.pvll.bench;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.testing.Torch;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * ReLU forward and backward at the search shapes, ours against libtorch in the same run.
 * {@code java -jar benchmarks/target/benchmarks.jar ElementwiseBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class ElementwiseBench {
  @Param({"64x16x32x32", "64x32x16x16", "64x64x8x8", "64x16x28x28"})
  public String shape;

  private Tensor x, y, dy, dx;
  private org.bytedeco.pytorch.Tensor tx, tdy;

  @Setup(Level.Trial)
  public void setUp() {
    int[] s = Shapes.parse(shape);
    Torch.setThreads(2); // loads libtorch safely on an empty JavaCPP cache
    Random r = new Random(1);
    float[] data = new float[(int) Shapes.count(s)];
    for (int i = 0; i < data.length; i++) data[i] = (float) r.nextGaussian();
    x = Tensor.of(Device.cpu(), data, s);
    y = Tensor.emptyLike(x);
    dy = Tensor.of(Device.cpu(), data, s);
    dx = Tensor.emptyLike(x);
    tx = torch.from_blob(new FloatPointer(data), Shapes.longs(s)).clone();
    tdy = tx.clone();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    x.close();
    y.close();
    dy.close();
    dx.close();
  }

  @Benchmark
  public void reluForwardOurs() {
    ElementwiseOps.reluForward(x, y);
  }

  @Benchmark
  public Object reluForwardLibtorch() {
    return torch.relu(tx);
  }

  @Benchmark
  public void reluBackwardOurs() {
    ElementwiseOps.reluBackward(x, dy, dx);
  }

  @Benchmark
  public Object reluBackwardLibtorch() {
    return torch.threshold_backward(tdy, tx, new org.bytedeco.pytorch.Scalar(0f));
  }
}
