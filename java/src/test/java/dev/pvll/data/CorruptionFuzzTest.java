package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pvll.testing.Seeds;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds a few hundred randomly corrupted variants of small generated files to every reader and
 * expects each read either to succeed (some corruptions, such as a changed pixel, are not
 * detectable) or to fail with a DatasetFormatException: no other exception, no hang, no large
 * allocation. Replay a failure with -Dpvll.seed=N.
 */
class CorruptionFuzzTest {
  private static final int VARIANTS_PER_CASE = Integer.getInteger("pvll.fuzz.variants", 50);
  private static final long MAX_ALLOCATED = 96L << 20;

  @TempDir Path tmp;

  /** A set of files (relative path to bytes), which of them to corrupt, how to read them. */
  private record Case(String name, Map<String, byte[]> files, List<String> targets, boolean gzipTargets, Function<Path, Object> read) {}

  private static Map<String, byte[]> idxFiles(Random r, boolean gz) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    int[] counts = {3, 3, 2, 2};
    for (int i = 0; i < 4; i++) {
      byte[] data = i % 2 == 0 ? TestFiles.randomBytes(r, counts[i] * 784) : TestFiles.randomLabels(r, counts[i], 10);
      byte[] file = TestFiles.idx(i % 2 == 0 ? new int[] {counts[i], 28, 28} : new int[] {counts[i]}, data);
      m.put(DataLocator.IDX_FILES.get(i) + (gz ? ".gz" : ""), gz ? TestFiles.gzip(file) : file);
    }
    return m;
  }

  private static byte[] image(Random r, String format, int w, int h, int type) throws Exception {
    BufferedImage img = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  private static List<Case> cases(Random r) throws Exception {
    List<Case> cases = new ArrayList<>();
    Map<String, byte[]> raw = idxFiles(r, false);
    cases.add(new Case("idx-raw", raw, new ArrayList<>(raw.keySet()), false, d -> Datasets.readIdxFolder(d, KnownDataset.FASHION_MNIST)));
    Map<String, byte[]> gz = idxFiles(r, true);
    cases.add(new Case("idx-gz", gz, new ArrayList<>(gz.keySet()), true, d -> Datasets.readIdxFolder(d, KnownDataset.FASHION_MNIST)));
    Map<String, byte[]> c10 = TestFiles.cifar10Files(r, 2);
    cases.add(new Case("cifar10-folder", c10, new ArrayList<>(c10.keySet()), false, CifarReader::readCifar10));
    cases.add(new Case("cifar10-tar.gz", Map.of("c.tar.gz", TestFiles.gzip(TestFiles.tar("cifar-10-batches-bin", c10))),
        List.of("c.tar.gz"), true, d -> CifarReader.readCifar10(d.resolve("c.tar.gz"))));
    Map<String, byte[]> c100 = TestFiles.cifar100Files(r, 3, 2);
    cases.add(new Case("cifar100-folder", c100, new ArrayList<>(c100.keySet()), false,
        d -> CifarReader.readCifar100(d, CifarReader.Cifar100Labels.FINE)));
    cases.add(new Case("cifar100-tar", Map.of("c.tar", TestFiles.tar("y".repeat(95) + "/cifar-100-binary", c100)),
        List.of("c.tar"), false, d -> CifarReader.readCifar100(d.resolve("c.tar"), CifarReader.Cifar100Labels.COARSE)));
    Map<String, byte[]> imgs = new LinkedHashMap<>();
    imgs.put("a/1.png", image(r, "png", 6, 5, BufferedImage.TYPE_INT_RGB));
    imgs.put("a/2.jpg", image(r, "jpg", 9, 7, BufferedImage.TYPE_INT_RGB));
    imgs.put("b/3.png", image(r, "png", 4, 4, BufferedImage.TYPE_BYTE_GRAY));
    imgs.put("b/4.jpeg", image(r, "jpg", 8, 8, BufferedImage.TYPE_BYTE_GRAY));
    cases.add(new Case("image-folder", imgs, new ArrayList<>(imgs.keySet()), false, d -> ImageFolderReader.read(d, 3, 4, 4, "fuzz")));
    return cases;
  }

  /** One random corruption of b; what it did goes into how. */
  private static byte[] mutate(byte[] b, Random r, StringBuilder how) {
    int op = r.nextInt(b.length == 0 ? 1 : 7);
    switch (op) {
      case 0 -> {
        int n = b.length == 0 ? 0 : r.nextInt(b.length);
        how.append("truncate to ").append(n);
        return java.util.Arrays.copyOf(b, n);
      }
      case 1 -> {
        byte[] c = b.clone();
        int flips = 1 + r.nextInt(8);
        how.append("flip ").append(flips).append(" bits");
        for (int k = 0; k < flips; k++) c[r.nextInt(c.length)] ^= (byte) (1 << r.nextInt(8));
        return c;
      }
      case 2 -> {
        byte[] c = b.clone();
        int at = r.nextInt(Math.max(1, Math.min(c.length, 600) - 3));
        int[] values = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, r.nextInt(), r.nextInt(300), 60000};
        int v = values[r.nextInt(values.length)];
        how.append("header int at ").append(at).append(" = ").append(v);
        for (int k = 0; k < 4 && at + k < c.length; k++) c[at + k] = (byte) (v >>> (24 - 8 * k));
        return c;
      }
      case 3 -> {
        int n = 1 + r.nextInt(3000);
        how.append("append ").append(n).append(" bytes");
        byte[] c = java.util.Arrays.copyOf(b, b.length + n);
        for (int k = b.length; k < c.length; k++) c[k] = (byte) r.nextInt();
        return c;
      }
      case 4 -> {
        int from = r.nextInt(b.length);
        int len = Math.min(b.length - from, 1 + r.nextInt(600));
        how.append("cut ").append(len).append(" bytes at ").append(from);
        byte[] c = new byte[b.length - len];
        System.arraycopy(b, 0, c, 0, from);
        System.arraycopy(b, from + len, c, from, b.length - from - len);
        return c;
      }
      case 5 -> {
        // a tar size field (or any 12 bytes at a 512-byte boundary + 124) set to a random octal number
        byte[] c = b.clone();
        int block = r.nextInt(Math.max(1, c.length / 512));
        int at = block * 512 + 124;
        String octal = String.format("%011o", r.nextLong() & ((1L << (3 * (1 + r.nextInt(11)))) - 1));
        how.append("octal ").append(octal).append(" at ").append(at);
        for (int k = 0; k < 11 && at + k < c.length; k++) c[at + k] = (byte) octal.charAt(k);
        return c;
      }
      default -> {
        how.append("empty file");
        return new byte[0];
      }
    }
  }

  @Test
  void corruptedFilesGiveOnlyDataFormatErrors() throws Exception {
    long seed = Seeds.next();
    Random r = new Random(seed);
    List<Case> cases = cases(r);
    ExecutorService exec = Executors.newSingleThreadExecutor(t -> {
      Thread th = new Thread(t, "fuzz-reader");
      th.setDaemon(true);
      return th;
    });
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int variant = 0;
    int detected = 0;
    long maxAllocated = 0;
    try {
      for (Case c : cases) {
        for (int v = 0; v < VARIANTS_PER_CASE; v++, variant++) {
          Path dir = tmp.resolve("v" + variant);
          Map<String, byte[]> files = new LinkedHashMap<>(c.files());
          String target = c.targets().get(r.nextInt(c.targets().size()));
          StringBuilder how = new StringBuilder(c.name() + " " + target + ": ");
          if (c.name().equals("image-folder") && r.nextInt(8) == 0) {
            String cls = r.nextBoolean() ? "a/" : "b/";
            files.keySet().removeIf(k -> k.startsWith(cls));
            Files.createDirectories(dir.resolve(cls));
            how.append("empty class folder ").append(cls);
          } else if (c.gzipTargets() && r.nextBoolean()) {
            how.append("inside the gzip: ");
            files.put(target, TestFiles.gzip(mutate(Bytes.maybeGunzip(files.get(target), target), r, how)));
          } else {
            files.put(target, mutate(files.get(target), r, how));
          }
          TestFiles.writeFiles(dir, files);
          String what = how + " (seed " + seed + ", variant " + variant + ")";
          Future<long[]> result = exec.submit(() -> {
            long before = mx.getCurrentThreadAllocatedBytes();
            long outcome = 0;
            try {
              c.read().apply(dir);
            } catch (DatasetFormatException e) {
              outcome = 1;
              assertTrue(e.getMessage().startsWith(e.source() + ": ") && e.source().contains(dir.toString()),
                  "error names a file in " + dir + ": " + e.getMessage());
            }
            return new long[] {outcome, mx.getCurrentThreadAllocatedBytes() - before};
          });
          long[] out;
          try {
            out = result.get(20, TimeUnit.SECONDS);
          } catch (TimeoutException e) {
            fail("hang (no result in 20 s) on " + what);
            return;
          } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("not a DatasetFormatException on " + what + ": " + e.getCause(), e.getCause());
          }
          detected += (int) out[0];
          maxAllocated = Math.max(maxAllocated, out[1]);
          assertTrue(out[1] < MAX_ALLOCATED, "allocated " + (out[1] >> 20) + " MiB on " + what);
          deleteTree(dir);
        }
      }
    } finally {
      exec.shutdownNow();
    }
    System.out.printf("fuzz: %d corrupted variants, %d rejected with DatasetFormatException, the rest read; most allocated by one read %.1f MiB (seed %d)%n",
        variant, detected, maxAllocated / 1048576.0, seed);
    assertTrue(detected > variant / 2, "most corruptions are detected: " + detected + " of " + variant);
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
