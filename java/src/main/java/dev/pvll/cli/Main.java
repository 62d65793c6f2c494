package dev.pvll.cli;

import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pvll} command line: thin commands that parse, call the library and print. */
@Command(
    name = "pvll",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "PVLL-NAS: neural architecture search in a proxy validation loss landscape, on the JVM.",
    subcommands = {SearchCommand.class, CompareCommand.class, TrainCommand.class, ExportCommand.class, ScoreCommand.class, ReportCommand.class, DataCommand.class, BenchCommand.class, InfoCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (used by tests, never exits). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    // Bad input (a flag, a file) is a one-line error naming it, not a stack trace.
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (isBadInput(e)) {
        cmd.getErr().println("pvll: " + e.getMessage());
        return 2;
      }
      if (isJobFailure(e)) {
        cmd.getErr().println("pvll: " + e.getMessage());
        return Job.FAILED;
      }
      throw e;
    });
    return cli.execute(args);
  }

  /** Bad input (a flag, a file): a one-line error naming it, exit code 2. */
  static boolean isBadInput(Throwable e) {
    return e instanceof IllegalArgumentException || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
        || e instanceof dev.pvll.data.DatasetNotFoundException || e instanceof dev.pvll.data.DatasetFormatException
        || e instanceof dev.pvll.data.DownloadException || e instanceof dev.pvll.space.GenotypeFormatException;
  }

  /** A job of several ranks that could not start or go on (no MPI, a timeout, a rank that died): one line, exit code 4. */
  static boolean isJobFailure(Throwable e) {
    return e instanceof dev.pvll.kernels.KernelException k
        && (k.status() == dev.pvll.kernels.KernelException.COLLECTIVE || k.status() == dev.pvll.kernels.KernelException.UNAVAILABLE);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** The version Maven wrote into dev/pvll/version.properties. */
  static String version() {
    try (InputStream in = Main.class.getResourceAsStream("/dev/pvll/version.properties")) {
      Properties p = new Properties();
      if (in != null) p.load(in);
      return p.getProperty("version", "unknown");
    } catch (Exception e) {
      return "unknown";
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"pvll " + version(), "Java " + System.getProperty("java.version")};
    }
  }
}
