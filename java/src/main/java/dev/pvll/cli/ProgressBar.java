package dev.pvll.cli;

import com.google.gson.JsonObject;
import java.io.PrintStream;

/** One status line per finished unit with ETA and the latest losses; redrawn in place on a terminal. */
final class ProgressBar {
  private final PrintStream out;
  private final boolean terminal = System.console() != null;

  ProgressBar(PrintStream out) {
    this.out = out;
  }

  void unit(String phase, int done, int total, JsonObject line, double elapsed) {
    int width = 24;
    int filled = (int) Math.round(width * (double) done / total);
    double eta = done == 0 ? 0 : elapsed / done * (total - done);
    StringBuilder sb = new StringBuilder();
    sb.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ");
    sb.append(String.format("%d/%d %-12s", done, total, phase));
    if (line != null) {
      if (line.has("train_loss")) sb.append(String.format(" train %.3f", line.get("train_loss").getAsDouble()));
      if (line.has("val_loss")) sb.append(String.format(" val %.3f", line.get("val_loss").getAsDouble()));
      if (line.has("psi_prediction")) sb.append(String.format(" psi %.3f", line.get("psi_prediction").getAsDouble()));
      if (line.has("kendall_tau") && !line.get("kendall_tau").isJsonNull() && !Double.isNaN(line.get("kendall_tau").getAsDouble())) {
        sb.append(String.format(" tau %.2f", line.get("kendall_tau").getAsDouble()));
      }
    }
    sb.append(String.format(" | %s elapsed, ETA %s", time(elapsed), time(eta)));
    if (terminal) out.print("\r" + sb + "   ");
    else out.println(sb);
    out.flush();
  }

  void done() {
    if (terminal) out.println();
  }

  private static String time(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : String.format("%dm%02ds", t / 60, t % 60);
  }
}
