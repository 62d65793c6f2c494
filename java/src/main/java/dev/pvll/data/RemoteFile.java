package dev.pvll.data;

/**
 * A file to download: its name (appended to the base URL and used as the local file name) and
 * the SHA-256 it must have.
 *
 * @param name file name, no slashes
 * @param sha256 lower-case hex SHA-256 of the whole file
 * @param size its size in bytes when known (for the progress bar only), else -1
 */
public record RemoteFile(String name, String sha256, long size) {
  /**
   * @throws IllegalArgumentException when the name holds a path separator or the checksum is not 64 hex digits
   */
  public RemoteFile {
    if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new IllegalArgumentException("remote file name must be a plain file name, got '" + name + "'");
    }
    if (!sha256.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("SHA-256 must be 64 lower-case hex digits, got '" + sha256 + "'");
  }
}
