package dev.pvll.export;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a model file whole or not at all: into a temporary file beside it, then an atomic move. */
public final class OnnxFile {
  private OnnxFile() {}

  /**
   * Writes bytes to file. On any failure nothing is left behind (the temporary file is removed) and
   * the IOException names file.
   */
  public static void write(byte[] bytes, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    Path parent = target.getParent();
    if (Files.isDirectory(target)) throw new IOException(file + ": is a folder, not a file to write the model to");
    if (parent == null || !Files.isDirectory(parent)) throw new IOException(file + ": its folder " + parent + " does not exist");
    Path tmp = null;
    try {
      tmp = Files.createTempFile(parent, "." + target.getFileName() + ".", ".tmp");
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new IOException(file + ": cannot write the model (" + e.getMessage() + ")", e);
    } finally {
      if (tmp != null) Files.deleteIfExists(tmp);
    }
  }
}
