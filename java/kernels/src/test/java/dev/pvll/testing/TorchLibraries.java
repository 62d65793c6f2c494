package dev.pvll.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch the same way on an empty JavaCPP cache as on a filled one.
 *
 * <p>Why: JavaCPP extracts a preset's libraries one at a time, each just before it loads it, and
 * it loads the pytorch preset's {@code libtorch.so} (a stub whose only dependency is
 * {@code libtorch_cpu.so}) before it has extracted {@code libtorch_cpu.so}. On an empty cache the
 * dynamic linker therefore looks for {@code libtorch_cpu.so} outside the cache folder, and where
 * Debian's {@code libtorch-dev} is installed (python3-torch recommends it) it finds
 * {@code /usr/lib/x86_64-linux-gnu/libtorch_cpu.so}, libtorch 1.13, whose static initialisers run
 * against the preset's 2.10 {@code libc10.so} and crash the JVM (SIGSEGV in
 * {@code pthread_mutex_lock}). With a filled cache the stub finds the preset's own copy beside
 * it, which is why only the first run died. Extracting the preset's whole native folder before
 * the first load makes the first run the same as every later one.
 *
 * <p>Tests reach this through {@link Torch} and, before any test runs, through
 * {@link TorchPreloadListener}; the benchmarks call {@link Torch#setThreads}.
 */
public final class TorchLibraries {
  private static boolean loaded;

  private TorchLibraries() {}

  /** Extracts the pytorch preset's native folder into the JavaCPP cache (once per JVM). */
  public static synchronized File[] extract() {
    try {
      return Loader.cacheResources(org.bytedeco.pytorch.presets.torch.class,
          "org/bytedeco/pytorch/" + Loader.getPlatform());
    } catch (IOException e) {
      throw new UncheckedIOException("extracting libtorch into the JavaCPP cache " + cacheDir(), e);
    }
  }

  /** Extracts (see {@link #extract}) and loads libtorch, once per JVM. */
  public static synchronized void load() {
    if (!loaded) {
      extract();
      Loader.load(torch.class);
      loaded = true;
    }
  }

  private static String cacheDir() {
    try {
      return Loader.getCacheDir().toString();
    } catch (IOException e) {
      return "(unknown: " + e.getMessage() + ")";
    }
  }
}
