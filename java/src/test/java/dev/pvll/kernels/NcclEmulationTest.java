package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NCCL back end (kernels/nccl.cu) on the emulated CUDA device: kernels/dev/nccl_emu/check.sh
 * compiles it for the host with the layer kernels' runtime emulation and runs it against a fake
 * libnccl.so.2 whose ranks are threads (joining, all-reduce and broadcast on each rank's stream,
 * the deadlines of a rank that never joins and of one that stops calling, aborts, argument
 * checks: 41 checks). Skipped only where g++ is missing. About 10 s on 2 cores (compiling).
 */
class NcclEmulationTest {
  @TempDir Path tmp;

  @Test
  void ncclBackEndPassesItsChecksOnTheEmulatedDevice() throws Exception {
    boolean gxx = false;
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) gxx |= new File(folder, "g++").canExecute();
    Assumptions.assumeTrue(gxx, "g++ is not installed");
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.exists(root.resolve("kernels/dev/nccl_emu/check.sh"))) root = root.getParent();
    if (root == null) fail("kernels/dev/nccl_emu/check.sh not found above " + Path.of("").toAbsolutePath());
    Path log = tmp.resolve("check.log");
    Process p = new ProcessBuilder("bash", "kernels/dev/nccl_emu/check.sh").directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("check.sh hung:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("41 checks, 0 failed"), out);
  }
}
