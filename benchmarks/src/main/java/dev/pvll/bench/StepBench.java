package dev.pvll.bench;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import dev.pvll.supernet.SgdConfig;
import dev.pvll.supernet.StepLaunch;
import dev.pvll.supernet.SupernetStep;
import dev.pvll.supernet.TorchSearchNetwork;
import dev.pvll.testing.Torch;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One supernet training step (forward, cross-entropy, backward, gradient clipping, SGD with
 * momentum and weight decay) and one validation forward at batch 64, ours against the same
 * network in libtorch (the test suite's functional mirror, same weights, same sampled
 * architecture) in the same run. {@code java -jar benchmarks/target/benchmarks.jar StepBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class StepBench {
  @Param({"cifar10", "fashion-mnist"})
  public String shape;

  @Param({"1", "2", "3"})
  public int architecture;

  private SearchNetwork net;
  private SupernetStep trainer;
  private SampledArchitecture arch;
  private Tensor x, y;
  private TorchSearchNetwork torchNet;
  private org.bytedeco.pytorch.Tensor tx, ty;
  private SGD torchSgd;
  private TensorVector torchParams;

  @Setup(Level.Trial)
  public void setUp() {
    Torch.setThreads(2); // loads libtorch safely on an empty JavaCPP cache
    NetworkConfig c = shape.equals("cifar10") ? NetworkConfig.cifar10Search() : NetworkConfig.fashionMnistSearch();
    Random r = new Random(architecture);
    int[][] ops = new int[2][c.edges()];
    float[][] w = new float[2][c.edges()];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < c.edges(); e++) {
        ops[t][e] = r.nextInt(Primitive.values().length);
        w[t][e] = 0.5f + 0.5f * r.nextFloat();
      }
    }
    arch = new SampledArchitecture(new CellChoice(ops[0], w[0]), new CellChoice(ops[1], w[1]));
    int n = 64, size = c.imageSize();
    float[] images = new float[n * c.inputChannels() * size * size];
    for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
    float[] labels = new float[n];
    for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
    net = new SearchNetwork(c, Device.cpu(), architecture);
    trainer = new SupernetStep(net, SgdConfig.DARTS, n, StepLaunch.of(StepLaunch.Kind.PLAIN), 1);
    trainer.setArchitecture(arch);
    x = Tensor.of(Device.cpu(), images, n, c.inputChannels(), size, size);
    y = Tensor.of(Device.cpu(), labels, n);
    torchNet = new TorchSearchNetwork(net, torch.ScalarType.Float); // the speed peer computes in float32
    tx = torch.from_blob(new FloatPointer(images), n, c.inputChannels(), size, size).clone();
    ty = torch.from_blob(new FloatPointer(labels), n).clone().to(torch.ScalarType.Long);
    torchParams = new TensorVector();
    for (org.bytedeco.pytorch.Tensor p : torchNet.params.values()) torchParams.push_back(p);
    SGDOptions o = new SGDOptions(0.01);
    o.momentum().put(0.9);
    o.weight_decay().put(3e-4);
    torchSgd = new SGD(torchParams, o);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    trainer.close();
    net.close();
    x.close();
    y.close();
  }

  @Benchmark
  public Object trainStepOurs() {
    trainer.beginTraining(0.01f);
    trainer.trainStep(x, y);
    return trainer.finishTraining();
  }

  @Benchmark
  public Object trainStepLibtorch() {
    torchSgd.zero_grad();
    org.bytedeco.pytorch.Tensor loss = torch.cross_entropy(torchNet.forward(tx, arch), ty);
    loss.backward();
    torch.clip_grad_norm_(torchParams, 5.0);
    torchSgd.step();
    return loss;
  }

  @Benchmark
  public Object validationOurs() {
    trainer.beginValidation();
    trainer.evaluate(x, y, dev.pvll.nn.Mode.EVAL);
    return trainer.finishValidation();
  }

  @Benchmark
  public Object validationLibtorch() {
    try (NoGradGuard g = new NoGradGuard()) {
      return torch.cross_entropy(torchNet.forward(tx, arch), ty);
    }
  }
}
