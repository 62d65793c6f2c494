package dev.pvll.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Extracts libtorch into the JavaCPP cache before any test runs (registered in
 * META-INF/services), so a test that touches {@code org.bytedeco.pytorch} before {@link Torch}
 * cannot load it from an incomplete cache (see {@link TorchLibraries}).
 */
public final class TorchPreloadListener implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    TorchLibraries.extract();
  }
}
