package dev.pvll.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first load of libtorch on an empty JavaCPP cache, in a JVM of its own: it must not crash,
 * and every libtorch library the process maps must come from that cache (not, say, Debian's
 * libtorch 1.13 from {@code /usr/lib}; see {@link TorchLibraries}).
 */
class TorchColdCacheTest {
  /** The child JVM: loads libtorch as the tests do, runs one op, prints its mapped libtorch files. */
  public static void main(String[] args) throws IOException {
    Torch.init();
    float[] sum = Torch.array(Torch.tensor(new float[] {1, 2}, 2).sum());
    System.out.println("sum " + sum[0]);
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      int at = line.indexOf('/');
      if (at >= 0 && line.matches(".*/lib(torch|c10)[^/]*\\.so.*")) System.out.println("mapped " + line.substring(at));
    }
  }

  @Test
  void firstLoadOnAnEmptyCacheUsesThePresetsOwnLibraries(@TempDir Path cache) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Dorg.bytedeco.javacpp.cachedir=" + cache, "-XX:ErrorFile=" + cache.resolve("hs_err_%p.log"),
        "-cp", System.getProperty("java.class.path"), TorchColdCacheTest.class.getName())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM did not finish");
    assertEquals(0, p.exitValue(), "child JVM loading libtorch on an empty cache failed:\n" + out);
    assertTrue(out.contains("sum 3.0"), out);
    List<String> mapped = out.lines().filter(l -> l.startsWith("mapped ")).map(l -> l.substring(7)).distinct().toList();
    assertFalse(mapped.isEmpty(), "no libtorch library mapped:\n" + out);
    assertTrue(mapped.stream().anyMatch(m -> m.endsWith("/libtorch_cpu.so")), "libtorch_cpu.so not mapped:\n" + out);
    String cacheReal = cache.toRealPath().toString();
    for (String m : mapped)
      assertTrue(m.startsWith(cacheReal), "libtorch library from outside the JavaCPP cache " + cacheReal + ": " + m);
  }
}
