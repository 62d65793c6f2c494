package dev.pvll.search;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * A setting of a {@link SearchConfig} out of its range. The message names the settings by their
 * path in the configuration (e.g. {@code schedule.warmup}); {@link #describe} names them otherwise
 * (the command line names its flags).
 */
public final class InvalidSettingException extends IllegalArgumentException {
  private final String template;
  private final String[] settings;

  /** template has one {@code %s} per setting, in order. */
  public InvalidSettingException(String template, String... settings) {
    super(String.format(template, (Object[]) settings));
    this.template = template;
    this.settings = settings.clone();
  }

  /** The settings the message names, as paths in the configuration. */
  public String[] settings() {
    return settings.clone();
  }

  /** The message with every setting named by nameOf (a path it does not know: return it as is). */
  public String describe(UnaryOperator<String> nameOf) {
    return String.format(template, Arrays.stream(settings).map(nameOf).toArray());
  }

  static void require(boolean ok, String template, String... settings) {
    if (!ok) throw new InvalidSettingException(template, settings);
  }
}
