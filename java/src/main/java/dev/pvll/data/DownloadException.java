package dev.pvll.data;

/** A download that failed: unreachable host, HTTP error, or a file whose SHA-256 is not the expected one. */
public class DownloadException extends RuntimeException {
  public DownloadException(String message) {
    super(message);
  }

  public DownloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
