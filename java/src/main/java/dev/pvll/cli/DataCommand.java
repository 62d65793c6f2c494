package dev.pvll.cli;

import dev.pvll.data.DataLocator;
import dev.pvll.data.Dataset;
import dev.pvll.data.DatasetFormatException;
import dev.pvll.data.Datasets;
import dev.pvll.data.DownloadException;
import dev.pvll.data.Downloader;
import dev.pvll.data.ImageFolderReader;
import dev.pvll.data.KnownDataset;
import dev.pvll.data.TrainTest;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pvll data download|info}: fetch data sets, and show which ones are found where. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Download data sets and show where they are found.",
    subcommands = {DataCommand.Download.class, DataCommand.Info.class})
final class DataCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "download", mixinStandardHelpOptions = true,
      description = {"Download data sets, check their SHA-256 and keep them in the cache folder (or --data-dir).",
          "An interrupted download resumes when run again; nothing unverified is ever left under the final name."})
  static final class Download implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DATASET", description = "fashion-mnist, cifar10 or cifar100")
    List<String> names;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Put the files in DIR/<dataset> instead of the cache folder.")
    Path dataDir;

    @Option(names = "--mirror", paramLabel = "URL", description = "Fetch the files from URL/<file> instead of the official host.")
    String mirror;

    @Option(names = "--tries", defaultValue = "5", paramLabel = "N", description = "Tries per file, each resuming the last (default: ${DEFAULT-VALUE}).")
    int tries;

    @Override
    public Integer call() {
      PrintStream err = System.err;
      List<KnownDataset> sets = new ArrayList<>();
      for (String n : names) {
        try {
          KnownDataset d = KnownDataset.parse(n);
          if (!d.downloadable()) {
            err.println("error: pvll cannot download " + d.id() + "; put its files in a folder and pass --data-dir");
            return 2;
          }
          sets.add(d);
        } catch (IllegalArgumentException e) {
          err.println("error: " + e.getMessage());
          return 2;
        }
      }
      DataLocator locator = DataLocator.standard(dataDir);
      for (KnownDataset d : sets) {
        Path dir = locator.downloadDir(d);
        try {
          Downloader dl = new Downloader(mirror != null ? mirror : d.baseUrl(), err).retries(tries, Duration.ofSeconds(2));
          dl.fetchAll(d.files(), dir);
          DataLocator.Place place = locator.findAll(d).stream().filter(p -> p.path().startsWith(dir)).findFirst()
              .orElseThrow(() -> new DatasetFormatException(dir, "downloaded files are not in the expected layout"));
          TrainTest t = Datasets.read(place);
          System.out.println(d.id() + ": " + t.train().size() + " training and " + t.test().size() + " test images in " + dir);
        } catch (IllegalArgumentException e) {
          err.println("error: --mirror: " + e.getMessage());
          return 2;
        } catch (DownloadException | DatasetFormatException e) {
          err.println("error: " + e.getMessage());
          return 1;
        }
      }
      return 0;
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Show which data sets are found where, with the number of images per split and class.")
  static final class Info implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Look in DIR (and DIR/<dataset>) first.")
    Path dataDir;

    @Override
    public Integer call() {
      DataLocator locator = DataLocator.standard(dataDir);
      int status = 0;
      System.out.println("Search order: " + (dataDir != null ? "--data-dir " + dataDir + ", " : "")
          + DataLocator.DEBIAN_FASHION_MNIST + " (Fashion-MNIST only), cache " + DataLocator.userCache());
      for (KnownDataset d : KnownDataset.values()) {
        List<DataLocator.Place> found = locator.findAll(d);
        if (found.isEmpty()) {
          System.out.println(d.id() + ": not found" + (d.downloadable() ? " (pvll data download " + d.id() + ")" : ""));
          continue;
        }
        DataLocator.Place use = found.get(0);
        System.out.println(d.id() + ": " + use.path() + " (" + use.origin() + ", " + use.format() + ")");
        for (DataLocator.Place other : found.subList(1, found.size())) {
          System.out.println("  also in " + other.path() + " (" + other.origin() + ", not used)");
        }
        try {
          TrainTest t = Datasets.read(use);
          printCounts(t.train(), t.test());
        } catch (DatasetFormatException e) {
          System.out.println("  error: " + e.getMessage());
          status = 1;
        }
      }
      Dataset embedded = Datasets.embeddedFashionMnist();
      System.out.println("embedded: fashion-mnist, first " + embedded.size() + " training images, inside the pvll jar (the default data)");
      printCounts(embedded, null);
      if (dataDir != null) status = Math.max(status, imageFolders(dataDir));
      return status;
    }

    private static int imageFolders(Path dir) {
      List<Path> roots = new ArrayList<>();
      if (ImageFolderReader.looksLikeImageFolder(dir)) roots.add(dir);
      for (String split : List.of("train", "test", "val")) {
        if (ImageFolderReader.looksLikeImageFolder(dir.resolve(split))) roots.add(dir.resolve(split));
      }
      for (Path r : roots) {
        Map<String, Integer> counts = ImageFolderReader.classFileCounts(r);
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("image folder: " + r + ", " + counts.size() + " classes, " + total + " image files");
        for (Map.Entry<String, Integer> e : counts.entrySet()) System.out.printf("  %-28s %7d%n", e.getKey(), e.getValue());
      }
      if (roots.isEmpty() && Files.isDirectory(dir) && locatorFoundNothingHere(dir)) {
        System.out.println("(no data set and no image folder recognised in " + dir + ")");
      }
      return 0;
    }

    private static boolean locatorFoundNothingHere(Path dir) {
      DataLocator only = new DataLocator(dir, null, null);
      for (KnownDataset d : KnownDataset.values()) if (!only.findAll(d).isEmpty()) return false;
      return true;
    }

    private static void printCounts(Dataset train, Dataset test) {
      System.out.println("  images " + train.channels() + "x" + train.height() + "x" + train.width() + ", " + train.classCount()
          + " classes, train " + train.size() + (test != null ? ", test " + test.size() : ""));
      int[] tr = train.classCounts();
      int[] te = test != null ? test.classCounts() : null;
      System.out.printf("  %-28s %7s%s%n", "class", "train", te != null ? String.format("%7s", "test") : "");
      for (int k = 0; k < tr.length; k++) {
        System.out.printf("  %-28s %7d%s%n", train.classNames().get(k), tr[k], te != null ? String.format("%7d", te[k]) : "");
      }
    }
  }
}
