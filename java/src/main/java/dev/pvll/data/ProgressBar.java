package dev.pvll.data;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar redrawn with a carriage return, at most five times a second. */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final String label;
  private final long startBytes;
  private final long startNanos = System.nanoTime();
  private long total;
  private long lastDraw;

  /** A bar for label; total may be -1 when unknown; startBytes were already present (a resumed download). */
  ProgressBar(PrintStream out, String label, long total, long startBytes) {
    this.out = out;
    this.label = label;
    this.total = total;
    this.startBytes = startBytes;
  }

  void total(long bytes) {
    total = bytes;
  }

  /** Redraws if the last drawing is more than 200 ms old. */
  void update(long bytes) {
    long now = System.nanoTime();
    if (out == null || now - lastDraw < 200_000_000L) return;
    lastDraw = now;
    draw(bytes, now);
  }

  /** Draws the final state and ends the line. */
  void finish(long bytes) {
    if (out == null) return;
    draw(bytes, System.nanoTime());
    out.println();
    out.flush();
  }

  private void draw(long bytes, long now) {
    double seconds = Math.max((now - startNanos) / 1e9, 1e-3);
    double rate = (bytes - startBytes) / seconds / 1e6;
    String line;
    if (total > 0) {
      int filled = (int) Math.min(WIDTH, WIDTH * bytes / total);
      line = String.format(Locale.ROOT, "\r%s [%s%s] %3d%% %.1f/%.1f MB %.1f MB/s", label,
          "=".repeat(filled), " ".repeat(WIDTH - filled), 100 * bytes / total, bytes / 1e6, total / 1e6, rate);
    } else {
      line = String.format(Locale.ROOT, "\r%s %.1f MB %.1f MB/s", label, bytes / 1e6, rate);
    }
    out.print(line);
    out.flush();
  }
}
