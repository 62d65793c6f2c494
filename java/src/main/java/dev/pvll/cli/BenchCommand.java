package dev.pvll.cli;

import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import dev.pvll.supernet.SgdConfig;
import dev.pvll.supernet.SupernetTrainer;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pvll bench step}: images/s and ms per training step and per validation batch of the search network. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure the search network's training step and validation pass.")
final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "step") String what;
  @Option(names = "--device", description = "cpu, cuda:N or auto (default)") String device = "auto";
  @Option(names = "--shape", description = "cifar10 (8 cells, C=16, 3x32x32) or fashion-mnist (8 cells, C=16, 1x28x28)") String shape = "cifar10";
  @Option(names = "--cells") Integer cells;
  @Option(names = "--channels") Integer channels;
  @Option(names = "--batch-size") int batch = 64;
  @Option(names = "--steps", description = "timed steps per architecture") int steps = 5;
  @Option(names = "--architectures", description = "fixed sampled architectures to time") int architectures = 3;
  @Option(names = "--threads", description = "CPU kernel threads (default: all cores)") Integer threads;

  @Override
  public Integer call() {
    if (!what.equals("step")) throw new IllegalArgumentException("pvll bench: unknown WHAT '" + what + "', use step");
    NetworkConfig base = switch (shape) {
      case "cifar10" -> NetworkConfig.cifar10Search();
      case "fashion-mnist" -> NetworkConfig.fashionMnistSearch();
      default -> throw new IllegalArgumentException("--shape must be cifar10 or fashion-mnist, got " + shape);
    };
    NetworkConfig config = base.withCells(cells != null ? cells : base.cells()).withChannels(channels != null ? channels : base.channels());
    if (threads != null) dev.pvll.kernels.CpuInfo.setThreads(threads);
    Device d = device.equals("auto") ? Device.best() : Device.parse(device);
    Random r = new Random(1);
    int size = config.imageSize();
    float[] images = new float[batch * config.inputChannels() * size * size];
    for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
    float[] labels = new float[batch];
    for (int i = 0; i < batch; i++) labels[i] = r.nextInt(config.classes());
    System.out.printf("search network %d cells, C=%d, %dx%dx%d, batch %d on %s%n", config.cells(), config.channels(), config.inputChannels(),
        size, size, batch, d);
    System.out.printf("%-14s %12s %12s %12s %12s%n", "architecture", "train ms", "train img/s", "valid ms", "valid img/s");
    try (SearchNetwork net = new SearchNetwork(config, d, 1); Tensor x = Tensor.of(d, images, batch, config.inputChannels(), size, size);
        Tensor y = Tensor.of(d, labels, batch)) {
      SupernetTrainer trainer = new SupernetTrainer(net, SgdConfig.DARTS);
      for (int a = 0; a < architectures; a++) {
        SampledArchitecture arch = random(r, config.edges());
        for (int w = 0; w < 2; w++) trainer.trainStep(x, y, arch, 0.01f);
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) trainer.trainStep(x, y, arch, 0.01f);
        double trainMs = (System.nanoTime() - t0) / 1e6 / steps;
        trainer.evaluate(x, y, arch);
        t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) trainer.evaluate(x, y, arch);
        double evalMs = (System.nanoTime() - t0) / 1e6 / steps;
        System.out.printf("%-14s %12.1f %12.0f %12.1f %12.0f%n", "random #" + (a + 1), trainMs, batch * 1000 / trainMs, evalMs, batch * 1000 / evalMs);
      }
    }
    return 0;
  }

  private static SampledArchitecture random(Random r, int edges) {
    int[][] ops = new int[2][edges];
    float[][] w = new float[2][edges];
    for (int t = 0; t < 2; t++) {
      for (int e = 0; e < edges; e++) {
        ops[t][e] = r.nextInt(Primitive.values().length);
        w[t][e] = 0.9f + 0.1f * r.nextFloat();
      }
    }
    return new SampledArchitecture(new CellChoice(ops[0], w[0]), new CellChoice(ops[1], w[1]));
  }

}
