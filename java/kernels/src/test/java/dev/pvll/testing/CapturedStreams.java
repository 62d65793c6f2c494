package dev.pvll.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * System.out and System.err captured for each test and restored after it, for tests of CLI
 * commands: {@code @RegisterExtension final CapturedStreams io = new CapturedStreams();}, then
 * {@code io.out()} and {@code io.err()}.
 */
public final class CapturedStreams implements BeforeEachCallback, AfterEachCallback {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream oldOut;
  private PrintStream oldErr;

  @Override
  public void beforeEach(ExtensionContext context) {
    out.reset();
    err.reset();
    oldOut = System.out;
    oldErr = System.err;
    System.setOut(new PrintStream(out, true));
    System.setErr(new PrintStream(err, true));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    System.setOut(oldOut);
    System.setErr(oldErr);
  }

  /** What the test has written to System.out so far. */
  public String out() {
    return out.toString();
  }

  /** What the test has written to System.err so far. */
  public String err() {
    return err.toString();
  }
}
