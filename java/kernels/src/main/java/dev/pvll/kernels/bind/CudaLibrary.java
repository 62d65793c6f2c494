package dev.pvll.kernels.bind;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.bytedeco.javacpp.Loader;

/**
 * Loads libpvll_cuda.so for the CUDA binding classes: the real library, or, when the environment
 * variable {@code PVLL_CUDA} or the system property {@code pvll.cuda} is {@code emulated}, the
 * emulated CUDA device's library in its place (kernels/*.cu compiled by g++ against the emulated
 * runtime of kernels/dev/emu; its soname is libpvll_cuda.so, so the JNI glue binds to it). The
 * real CUDA runtime is then never loaded, nor a real NCCL: the emulated library's RPATH finds the
 * emulated NCCL (ranks are threads of one process) in {@code emulated-nccl/} beside it, placed
 * there from the jar. Every binding class that links pvll_cuda loads through here, so the choice
 * is made once, before any of them.
 */
public final class CudaLibrary {
  /** The name of the setting, as environment variable and (lower case, dotted) system property. */
  public static final String ENVIRONMENT = "PVLL_CUDA";

  public static final String PROPERTY = "pvll.cuda";

  private static final String EMULATED_FILE = "libpvll_cuda_emulated.so";
  /** The emulated NCCL, where the emulated library's RPATH ($ORIGIN/emulated-nccl) looks. */
  private static final String EMULATED_NCCL = "emulated-nccl/libnccl.so.2";
  private static boolean emulatedLoaded;

  private CudaLibrary() {}

  /**
   * Whether this process uses the emulated CUDA device: {@code pvll.cuda} or else
   * {@code PVLL_CUDA} is {@code emulated}; empty, unset or {@code real} is the real library.
   *
   * @throws IllegalStateException for any other value
   */
  public static boolean emulated() {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) v = System.getenv(ENVIRONMENT);
    if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("real")) return false;
    if (v.trim().equalsIgnoreCase("emulated")) return true;
    throw new IllegalStateException(ENVIRONMENT + " / -D" + PROPERTY + " is '" + v + "': use emulated, real or leave it unset");
  }

  /** Loads the native library of binding, with the emulated libpvll_cuda.so first when chosen. */
  static synchronized void load(Class<?> binding) {
    if (emulated() && !emulatedLoaded) {
      String resource = Loader.getPlatform() + "/" + EMULATED_FILE;
      URL url = CudaLibrary.class.getResource(resource);
      if (url == null) {
        throw new UnsatisfiedLinkError("the emulated CUDA library " + resource + " is not in this build "
            + "(built with -DPVLL_CUDA_EMULATED=OFF?)");
      }
      // registered under the name the binding classes link, so Loader.load does not load the real one
      String loaded = Loader.loadLibrary(CudaLibrary.class, new URL[] {url}, "pvll_cuda");
      if (loaded == null || !new File(loaded).getName().equals(EMULATED_FILE)) {
        throw new UnsatisfiedLinkError("libpvll_cuda was loaded before the emulated one could be (" + loaded + ")");
      }
      placeEmulatedNccl(Path.of(loaded).getParent());
      emulatedLoaded = true;
    }
    Loader.load(binding);
  }

  /**
   * Puts the jar's emulated NCCL into dir/emulated-nccl unless the same file is there (loaded from
   * target/classes it already is); nccl.cu opens it on first use. A build without it leaves NCCL
   * unavailable, which NCCL's calls then say.
   */
  private static void placeEmulatedNccl(Path dir) {
    URL url = CudaLibrary.class.getResource(Loader.getPlatform() + "/" + EMULATED_NCCL);
    if (url == null) return;
    Path target = dir.resolve(EMULATED_NCCL);
    try {
      long size = url.openConnection().getContentLengthLong();
      if (Files.isRegularFile(target) && Files.size(target) == size) return;
      Files.createDirectories(target.getParent());
      // another JVM (a rank beside this one) may place it at the same moment: whole files only
      Path tmp = Files.createTempFile(target.getParent(), "libnccl", ".tmp");
      try (InputStream in = url.openStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot place the emulated NCCL at " + target + ": " + e.getMessage(), e);
    }
  }
}
