package dev.pvll.cli;

import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.CudaStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code pvll info}: the CPU, every GPU, cuDNN, or the exact reason there is no GPU. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the CPU, the GPUs and cuDNN as pvll sees them.")
final class InfoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("pvll " + Main.version());
    System.out.println("CPU:   " + CpuInfo.model());
    System.out.println("       " + CpuInfo.cores() + " logical cores, kernels use " + CpuInfo.threads() + " threads");
    System.out.println("       native build: " + CpuInfo.nativeIsa());
    CudaStatus cuda = CudaStatus.probe();
    System.out.println("CUDA:  library " + cuda.buildStatus());
    System.out.println("       driver supports CUDA " + CudaStatus.formatVersion(cuda.driverVersion())
        + ", runtime " + CudaStatus.formatVersion(cuda.runtimeVersion()));
    if (cuda.available()) {
      for (CudaStatus.Gpu g : cuda.gpus()) {
        System.out.printf("GPU %d: %s, %.1f GiB, compute capability %s, %d SMs%n",
            g.index(), g.name(), g.totalMemory() / 1073741824.0, g.computeCapability(), g.multiprocessors());
      }
      System.out.println("       search step as one CUDA graph (switch nodes, CUDA 12.8+): "
          + (dev.pvll.kernels.CudaGraph.supported(dev.pvll.kernels.Device.cuda(0)) ? "yes" : "no (plain launches)"));
    } else {
      System.out.println("GPU:   none: " + cuda.reason());
    }
    System.out.println("cuDNN: " + cuda.cudnn());
    return 0;
  }
}
