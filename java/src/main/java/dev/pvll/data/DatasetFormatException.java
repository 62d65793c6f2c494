package dev.pvll.data;

import java.nio.file.Path;

/**
 * A data file (or folder) that cannot be read as the format it should have: truncated, wrong
 * magic number, a label out of range, counts that disagree, an unreadable image, an empty class
 * folder. The message names the file and what is wrong.
 */
public class DatasetFormatException extends RuntimeException {
  private final String source;

  /** An error about {@code source} (a path, an archive entry or a resource name). */
  public DatasetFormatException(String source, String problem) {
    super(source + ": " + problem);
    this.source = source;
  }

  /** The same with the exception that revealed the problem. */
  public DatasetFormatException(String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
    this.source = source;
  }

  /** An error about a file. */
  public DatasetFormatException(Path file, String problem) {
    this(file.toString(), problem);
  }

  /** An error about a file, with the exception that revealed it. */
  public DatasetFormatException(Path file, String problem, Throwable cause) {
    this(file.toString(), problem, cause);
  }

  /** The file, archive entry or resource the error is about. */
  public String source() {
    return source;
  }
}
