package dev.pvll.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where data sets are looked for, in this order: the {@code --data-dir} folder (its sub-folder
 * named after the data set, then the folder itself; IDX files directly in it count as
 * Fashion-MNIST unless the folder is named {@code mnist}), Debian's {@code
 * /usr/share/datasets/fashion-mnist} (package {@code dataset-fashion-mnist}, for Fashion-MNIST
 * only), then the user's cache folder ({@code $XDG_CACHE_HOME/pvll} or {@code ~/.cache/pvll},
 * where {@code pvll data download} puts what it fetches).
 */
public final class DataLocator {
  /** Where Debian's dataset-fashion-mnist package installs the four IDX files. */
  public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  static final List<String> IDX_FILES = List.of(
      "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  private final Path dataDir;
  private final Path debianFashionMnist;
  private final Path cacheRoot;

  /**
   * A place where a data set was found.
   *
   * @param dataset which data set
   * @param path the folder holding its files, or the archive
   * @param origin which search location it came from: "--data-dir", "Debian package" or "cache"
   * @param format IDX, CIFAR folder or CIFAR archive
   */
  public record Place(KnownDataset dataset, Path path, String origin, String format) {}

  /**
   * @param dataDir the user's --data-dir, or null
   * @param debianFashionMnist Debian's Fashion-MNIST folder (a parameter so tests can move it)
   * @param cacheRoot the user's cache folder for pvll
   */
  public DataLocator(Path dataDir, Path debianFashionMnist, Path cacheRoot) {
    this.dataDir = dataDir;
    this.debianFashionMnist = debianFashionMnist;
    this.cacheRoot = cacheRoot;
  }

  /** The standard search order with an optional --data-dir. */
  public static DataLocator standard(Path dataDir) {
    return new DataLocator(dataDir, DEBIAN_FASHION_MNIST, userCache());
  }

  /**
   * The system property {@code pvll.cache} when set, else {@code $XDG_CACHE_HOME/pvll} when that
   * variable holds an absolute path, else {@code ~/.cache/pvll}.
   */
  public static Path userCache() {
    String override = System.getProperty("pvll.cache");
    if (override != null && !override.isBlank()) return Path.of(override);
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "pvll");
    return Path.of(System.getProperty("user.home"), ".cache", "pvll");
  }

  /** The --data-dir given, or null. */
  public Path dataDir() {
    return dataDir;
  }

  /** Where {@code pvll data download} puts a data set: {@code DATA_DIR/ID} with --data-dir, else {@code CACHE/ID}. */
  public Path downloadDir(KnownDataset d) {
    return (dataDir != null ? dataDir : cacheRoot).resolve(d.id());
  }

  /** The folders searched for a data set, in order, with their origin. */
  public List<Place> candidates(KnownDataset d) {
    List<Place> out = new ArrayList<>();
    Set<Path> seen = new LinkedHashSet<>();
    if (dataDir != null) {
      add(out, seen, new Place(d, dataDir.resolve(d.id()), "--data-dir", null));
      // MNIST and Fashion-MNIST use the same IDX file names: IDX files lying directly in
      // --data-dir are Fashion-MNIST unless the folder is named mnist
      boolean mnistFolder = dataDir.getFileName() != null && dataDir.getFileName().toString().equalsIgnoreCase("mnist");
      if ((d != KnownDataset.MNIST && d != KnownDataset.FASHION_MNIST) || (d == KnownDataset.MNIST) == mnistFolder) {
        add(out, seen, new Place(d, dataDir, "--data-dir", null));
      }
    }
    if (d == KnownDataset.FASHION_MNIST && debianFashionMnist != null) add(out, seen, new Place(d, debianFashionMnist, "Debian package", null));
    if (cacheRoot != null) add(out, seen, new Place(d, cacheRoot.resolve(d.id()), "cache", null));
    return out;
  }

  private static void add(List<Place> out, Set<Path> seen, Place p) {
    if (seen.add(p.path().toAbsolutePath().normalize())) out.add(p);
  }

  /** Every place, in search order, where the data set's files are present (not yet read). */
  public List<Place> findAll(KnownDataset d) {
    List<Place> found = new ArrayList<>();
    for (Place c : candidates(d)) {
      Place p = detect(d, c.path(), c.origin());
      if (p != null) found.add(p);
    }
    return found;
  }

  /** The first place holding the data set. */
  public Optional<Place> find(KnownDataset d) {
    List<Place> all = findAll(d);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /** What form the data set has in folder, or null when its files are not there. */
  static Place detect(KnownDataset d, Path folder, String origin) {
    if (!Files.isDirectory(folder)) return null;
    switch (d) {
      case FASHION_MNIST, MNIST -> {
        for (String f : IDX_FILES) if (idxFile(folder, f) == null) return null;
        return new Place(d, folder, origin, "IDX");
      }
      case CIFAR10 -> {
        return cifar(d, folder, origin, "cifar-10-batches-bin", "data_batch_1.bin", "cifar-10-binary.tar.gz");
      }
      case CIFAR100 -> {
        return cifar(d, folder, origin, "cifar-100-binary", "train.bin", "cifar-100-binary.tar.gz");
      }
      default -> throw new IllegalStateException("no detection for " + d);
    }
  }

  private static Place cifar(KnownDataset d, Path folder, String origin, String sub, String marker, String archive) {
    if (Files.isRegularFile(folder.resolve(sub).resolve(marker))) return new Place(d, folder.resolve(sub), origin, "CIFAR folder");
    if (Files.isRegularFile(folder.resolve(marker))) return new Place(d, folder, origin, "CIFAR folder");
    if (Files.isRegularFile(folder.resolve(archive))) return new Place(d, folder.resolve(archive), origin, "CIFAR archive");
    return null;
  }

  /** folder/NAME.gz or folder/NAME, whichever exists (gzip preferred), or null. */
  static Path idxFile(Path folder, String name) {
    Path gz = folder.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) return gz;
    Path raw = folder.resolve(name);
    return Files.isRegularFile(raw) ? raw : null;
  }
}
