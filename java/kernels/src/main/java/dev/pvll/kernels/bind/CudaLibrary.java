package dev.pvll.kernels.bind;

import java.io.File;
import java.net.URL;
import org.bytedeco.javacpp.Loader;

/**
 * Loads libpvll_cuda.so for the CUDA binding classes: the real library, or, when the environment
 * variable {@code PVLL_CUDA} or the system property {@code pvll.cuda} is {@code emulated}, the
 * emulated CUDA device's library in its place (kernels/*.cu compiled by g++ against the emulated
 * runtime of kernels/dev/emu; its soname is libpvll_cuda.so, so the JNI glue binds to it). The
 * real CUDA runtime is then never loaded. Every binding class that links pvll_cuda loads through
 * here, so the choice is made once, before any of them.
 */
public final class CudaLibrary {
  /** The name of the setting, as environment variable and (lower case, dotted) system property. */
  public static final String ENVIRONMENT = "PVLL_CUDA";

  public static final String PROPERTY = "pvll.cuda";

  private static final String EMULATED_FILE = "libpvll_cuda_emulated.so";
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
      emulatedLoaded = true;
    }
    Loader.load(binding);
  }
}
