package dev.pvll.cli;

import dev.pvll.report.ReportWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code pvll report RUN_DIR}: an HTML page with plots for a search or a training run. */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Write report.html (and its PNGs) into a search or training run folder.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "RUN_DIR", description = "a folder written by pvll search or pvll train")
  Path runDir;

  @Override
  public Integer call() throws Exception {
    Job.requireSingle("pvll report");
    System.out.println(ReportWriter.write(runDir));
    return 0;
  }
}
