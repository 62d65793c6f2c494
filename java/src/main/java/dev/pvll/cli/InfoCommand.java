package dev.pvll.cli;

import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.CpuInfo;
import dev.pvll.kernels.CudaStatus;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.LaunchEnvironment;
import dev.pvll.kernels.NcclCommunicator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code pvll info}: the CPU, every GPU, cuDNN, or the exact reason there is no GPU; and this
 * process's place in a job as its launcher's environment gives it (rank, world size, local rank
 * and GPU), with the MPI and NCCL pvll would use. Joins no job.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = {"Show the CPU, the GPUs, cuDNN, MPI and NCCL as pvll sees them,",
    "and this process's rank, world size and GPU when a launcher (mpirun, srun) started it."})
final class InfoCommand implements Callable<Integer> {
  private static String rankDevice(LaunchEnvironment launch, CudaStatus cuda) {
    try {
      return Device.resolveForRank("auto", launch.localRank()).toString();
    } catch (IllegalArgumentException e) {
      return "none: " + e.getMessage();
    }
  }

  private static String ncclStatus(CudaStatus cuda) {
    if (!cuda.available()) return "not used without a GPU";
    try {
      int v = NcclCommunicator.version();
      if (cuda.emulated()) return "emulated (ranks are threads of one process: a job of several processes needs a GPU's libnccl)";
      return "libnccl " + v / 10000 + "." + v / 100 % 100 + "." + v % 100 + " (GPU ranks' collectives)";
    } catch (RuntimeException e) {
      return "not loadable: " + e.getMessage();
    }
  }

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
    LaunchEnvironment launch;
    try {
      launch = LaunchEnvironment.detect();
    } catch (IllegalArgumentException e) {
      System.out.println("Job:   the launcher's environment is unreadable: " + e.getMessage());
      launch = null;
    }
    if (launch != null) {
      System.out.println("Job:   " + launch.describe());
      System.out.println("       rank " + launch.rank() + ", world size " + launch.size() + ", local rank " + launch.localRank()
          + "; this rank's device (auto): " + rankDevice(launch, cuda));
    }
    System.out.println("MPI:   " + Collectives.mpiStatus());
    System.out.println("NCCL:  " + ncclStatus(cuda));
    return 0;
  }
}
