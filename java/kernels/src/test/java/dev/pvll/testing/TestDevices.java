package dev.pvll.testing;

import dev.pvll.kernels.CudaStatus;
import dev.pvll.kernels.Device;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The devices a parameterised op test runs on: always the CPU and cuda:0. Maven runs the tests
 * with {@code -Dpvll.cuda=emulated} (java/pom.xml), so cuda:0 is the emulated CUDA device of
 * kernels/dev/emu and every CUDA case runs, with no GPU; with {@code -Dpvll.cuda=real} it is the
 * GPU, and a CUDA case is skipped (not failed) where none is usable, with the reason in the skip
 * message. Use as {@code @MethodSource("dev.pvll.testing.TestDevices#all")}.
 */
public final class TestDevices {
  private TestDevices() {}

  public static Stream<Device> all() {
    return List.of(Device.cpu(), Device.cuda(0)).stream();
  }

  /** Skips the test when device is a GPU that is not present (never on the emulated device). */
  public static void assumePresent(Device device) {
    if (device.isCuda()) {
      CudaStatus s = CudaStatus.probe();
      Assumptions.assumeTrue(s.available() && s.gpus().size() > device.index(), () -> "no " + device + ": " + s.reason());
    }
  }
}
