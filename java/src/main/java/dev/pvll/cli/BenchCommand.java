package dev.pvll.cli;

import dev.pvll.kernels.CudaGraph;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Tensor;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.nn.Mode;
import dev.pvll.supernet.CellChoice;
import dev.pvll.supernet.SampledArchitecture;
import dev.pvll.supernet.SearchNetwork;
import dev.pvll.supernet.SgdConfig;
import dev.pvll.supernet.StepLaunch;
import dev.pvll.supernet.SupernetStep;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pvll bench step}: images/s and ms per training step and per validation batch of the
 * search network's one step ({@link SupernetStep}) in each way of launching it
 * ({@link StepLaunch}): {@code plain} (ops picked on the host, each step waits for the device and
 * its loss is read back), {@code resident} (the same launches queued back to back: nothing read
 * back until the end of the timed steps), {@code graph} (the step replayed as one captured CUDA
 * graph; CUDA 12.8+ only) and {@code lanes} (that graph with each cell's edges as parallel
 * branches); {@code -root}: a graph whose switches are all set at its root.
 */
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
  @Option(names = "--modes", split = ",", description = "plain, resident, graph, lanes (default: all that the device offers)")
  List<String> modes;

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
    if (steps < 1 || architectures < 1) throw new IllegalArgumentException("--steps and --architectures must be at least 1");
    Device d = Device.resolve(device);
    List<String> all = List.of("plain", "resident", "graph", "lanes", "graph-root", "lanes-root");
    List<String> chosen = modes != null ? modes : CudaGraph.supported(d) ? all : List.of("plain", "resident");
    for (String m : chosen) {
      if (!all.contains(m)) throw new IllegalArgumentException("--modes: unknown mode '" + m + "', use " + String.join(", ", all));
      if (m.startsWith("graph") || m.startsWith("lanes")) {
        if (!CudaGraph.supported(d)) throw new IllegalArgumentException("--modes " + m + " needs CUDA 12.8+ on a GPU; " + d + " has none");
      }
    }
    Random r = new Random(1);
    int size = config.imageSize();
    float[] images = new float[batch * config.inputChannels() * size * size];
    for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
    float[] labels = new float[batch];
    for (int i = 0; i < batch; i++) labels[i] = r.nextInt(config.classes());
    List<SampledArchitecture> archs = new java.util.ArrayList<>();
    for (int a = 0; a < architectures; a++) archs.add(random(r, config.edges()));
    System.out.printf("search network %d cells, C=%d, %dx%dx%d, batch %d on %s%n", config.cells(), config.channels(), config.inputChannels(),
        size, size, batch, d);
    System.out.printf("%-14s %-10s %12s %12s %12s %12s%n", "architecture", "mode", "train ms", "train img/s", "valid ms", "valid img/s");
    java.util.Map<String, double[]> sums = new java.util.LinkedHashMap<>();
    try (SearchNetwork net = new SearchNetwork(config, d, 1); Tensor x = Tensor.of(d, images, batch, config.inputChannels(), size, size);
        Tensor y = Tensor.of(d, labels, batch)) {
      for (String m : chosen) {
        // one step engine per mode, closed before the next: a graph owns the memory of every op of every edge
        StepLaunch launch = new StepLaunch(m.equals("plain") ? StepLaunch.Kind.PLAIN : m.equals("resident") ? StepLaunch.Kind.RESIDENT
            : StepLaunch.Kind.GRAPH, m.startsWith("lanes"), m.endsWith("-root") ? CudaGraph.SwitchSetting.ROOT : CudaGraph.SwitchSetting.EACH);
        // a mode that fails (a GPU refusing a capture, say) is reported and the others still run
        try (SupernetStep step = new SupernetStep(net, SgdConfig.DARTS, batch, launch, steps + 2)) {
          for (int a = 0; a < architectures; a++) {
            double[] ms = time(step, x, y, archs.get(a), a == 0);
            System.out.printf("%-14s %-10s %12.2f %12.0f %12.2f %12.0f%n", "random #" + (a + 1), m, ms[0], batch * 1000 / ms[0], ms[1],
                batch * 1000 / ms[1]);
            double[] sum = sums.computeIfAbsent(m, k -> new double[2]);
            sum[0] += ms[0];
            sum[1] += ms[1];
          }
          if (step.usesGraphs()) {
            System.out.printf("graphs %-10s %d top-level nodes (training), %.2f GiB owned by its graphs; capture + first replay "
                + "%.0f ms (training), %.0f ms (validation)%n", m,
                step.trainGraphNodes(), step.graphBytes() / 1073741824.0, firstCall[0], firstCall[1]);
          }
        } catch (RuntimeException e) {
          System.out.printf("failed %-10s %s%n", m, e);
          e.printStackTrace(System.out);
          sums.remove(m);
        }
      }
    }
    // METHOD.md's protocol at the paper's budget: 100 warm-up architectures trained twice and 100
    // search steps (300 epochs of 25,000 images), 200 validation passes of 25,000 images
    int trainSteps = 25_000 / batch, validationBatches = (25_000 + batch - 1) / batch;
    for (var e : sums.entrySet()) {
      double train = e.getValue()[0] / architectures, valid = e.getValue()[1] / architectures;
      double seconds = (300.0 * trainSteps * train + 200.0 * validationBatches * valid) / 1000;
      System.out.printf("projection %-10s METHOD.md protocol (300 epochs x %d steps, 200 passes x %d batches): %.1f min%n",
          e.getKey(), trainSteps, validationBatches, seconds / 60);
    }
    return 0;
  }

  /** ms of the first training step and validation batch of the last step engine (a graph's capture included). */
  private final double[] firstCall = new double[2];

  /** ms per training step and per validation batch: the steps as the engine's launch runs them, the log read once at the end. */
  private double[] time(SupernetStep trainer, Tensor x, Tensor y, SampledArchitecture arch, boolean first) {
    trainer.setArchitecture(arch);
    trainer.beginTraining(0.01f);
    long c0 = System.nanoTime();
    trainer.trainStep(x, y); // the first also captures the graph
    trainer.finishTraining();
    if (first) firstCall[0] = (System.nanoTime() - c0) / 1e6;
    trainer.beginTraining(0.01f);
    trainer.trainStep(x, y);
    trainer.finishTraining();
    trainer.beginTraining(0.01f);
    long t0 = System.nanoTime();
    for (int s = 0; s < steps; s++) trainer.trainStep(x, y);
    trainer.finishTraining();
    double trainMs = (System.nanoTime() - t0) / 1e6 / steps;
    trainer.beginValidation();
    c0 = System.nanoTime();
    trainer.evaluate(x, y, Mode.EVAL);
    trainer.finishValidation();
    if (first) firstCall[1] = (System.nanoTime() - c0) / 1e6;
    trainer.beginValidation();
    t0 = System.nanoTime();
    for (int s = 0; s < steps; s++) trainer.evaluate(x, y, Mode.EVAL);
    trainer.finishValidation();
    return new double[] {trainMs, (System.nanoTime() - t0) / 1e6 / steps};
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
