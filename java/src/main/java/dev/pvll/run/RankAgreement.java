package dev.pvll.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pvll.kernels.Collectives;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * What the ranks of a data-parallel job must agree on, checked so that every rank fails together
 * with the same message instead of some ranks waiting for others that have given up:
 * the configuration at start ({@link #sameConfiguration}), the state after every unit
 * ({@link #sameState}), and the outcome of each rank's own set-up ({@link #together}). Each is a
 * broadcast and an all-reduce or two; a single process does none of them.
 */
public final class RankAgreement {
  private RankAgreement() {}

  /**
   * Rank 0's configuration against every rank's own: field by field, so that the error names the
   * first field that differs, with both values ("data.batchSize: rank 0 has 32, rank 1 has 16").
   *
   * @param configuration this rank's configuration and what else must be equal (the data's fingerprint)
   * @throws IllegalArgumentException on every rank when any rank's differs
   */
  public static void sameConfiguration(Collectives c, JsonElement configuration) {
    if (c.size() == 1) return;
    byte[] mine = RunJson.COMPACT.toJson(configuration).getBytes(StandardCharsets.UTF_8);
    JsonElement root = JsonParser.parseString(new String(c.broadcast(c.isRoot() ? mine : null, 0), StandardCharsets.UTF_8));
    // both sides as parsed text, so that numbers compare by their written form
    String difference = firstDifference("", root, JsonParser.parseString(new String(mine, StandardCharsets.UTF_8)));
    String message = difference == null ? null : difference.replace("ROOT", "rank 0").replace("MINE", "rank " + c.rank());
    String first = firstFailure(c, message);
    if (first != null) {
      throw new IllegalArgumentException("the ranks were started with different configurations: " + first
          + " (every rank must be given the same settings and data)");
    }
  }

  /**
   * Rank 0's state digest against every rank's own, after a unit of work: the ranks compute the
   * same sums and steps, so their weights, A, psi and memory must be bit for bit equal; if they
   * ever differ (an MPI whose sums differ between ranks, a rank on other hardware), every rank
   * stops here rather than let the copies drift apart.
   *
   * @param when the unit, for the message ("after unit 7 (search)")
   * @throws IllegalStateException on every rank when any rank's digest differs from rank 0's
   */
  public static void sameState(Collectives c, long digest, String when) {
    if (c.size() == 1) return;
    byte[] mine = java.nio.ByteBuffer.allocate(Long.BYTES).putLong(digest).array();
    long root = java.nio.ByteBuffer.wrap(c.broadcast(c.isRoot() ? mine : null, 0)).getLong();
    String first = firstFailure(c, root == digest ? null
        : String.format("rank %d's state (weights, optimiser, A, psi, memory) is %016x, rank 0's %016x", c.rank(), digest, root));
    if (first != null) throw new IllegalStateException("the ranks' copies of the run diverged " + when + ": " + first);
  }

  /** A 64-bit digest of a state's JSON and its float arrays (their exact bits), for {@link #sameState}. */
  public static long digest(Object state, java.util.List<float[]> arrays) {
    long h = 0xcbf29ce484222325L;
    for (byte b : RunJson.COMPACT.toJson(state).getBytes(StandardCharsets.UTF_8)) h = (h ^ b) * 0x100000001b3L;
    for (float[] a : arrays) {
      h = (h ^ a.length) * 0x100000001b3L;
      for (float f : a) h = (h ^ Float.floatToRawIntBits(f)) * 0x100000001b3L;
    }
    return h;
  }

  /**
   * Runs each rank's own part of a set-up (creating its run folder, building its network) and
   * makes the outcome the job's: when any rank fails, the failed ranks rethrow their own exception
   * and the others throw one naming the first failed rank and its message. The action must not
   * itself call the collectives.
   */
  public static <T> T together(Collectives c, Callable<T> action) throws Exception {
    T result = null;
    Exception failure = null;
    try {
      result = action.call();
    } catch (Exception e) {
      failure = e;
    }
    if (c.size() == 1) {
      if (failure != null) throw failure;
      return result;
    }
    String first = firstFailure(c, failure == null ? null : String.valueOf(failure.getMessage()));
    if (failure != null) throw failure;
    if (first != null) {
      if (result instanceof AutoCloseable a) a.close();
      throw new IllegalStateException("another rank could not start: " + first);
    }
    return result;
  }

  /**
   * Rank 0's bytes (a checkpoint it read) on every rank, so the ranks need no shared file system;
   * when rank 0 cannot read them, every rank fails with its message.
   */
  public static byte[] fromRoot(Collectives c, Callable<byte[]> read) throws Exception {
    if (c.size() == 1) return read.call();
    byte[] bytes = null;
    Exception failure = null;
    if (c.isRoot()) {
      try {
        bytes = read.call();
      } catch (Exception e) {
        failure = e;
      }
    }
    String first = firstFailure(c, failure == null ? null : String.valueOf(failure.getMessage()));
    if (failure != null) throw failure;
    if (first != null) throw new IllegalArgumentException(first);
    return c.broadcast(bytes, 0);
  }

  /**
   * Every rank's problem (null: none) summed into a flag per rank; the lowest rank with one
   * broadcasts its message, prefixed with its rank. Null when no rank has a problem.
   */
  private static String firstFailure(Collectives c, String problem) {
    double[] flags = new double[c.size()];
    flags[c.rank()] = problem == null ? 0 : 1;
    c.allReduceSum(flags);
    int first = -1;
    for (int r = 0; r < flags.length && first < 0; r++) if (flags[r] > 0) first = r;
    if (first < 0) return null;
    byte[] text = c.broadcast(c.rank() == first ? ("rank " + first + ": " + problem).getBytes(StandardCharsets.UTF_8) : null, first);
    return new String(text, StandardCharsets.UTF_8);
  }

  /** The first path at which mine differs from root's, with both values (ROOT and MINE stand for the ranks), or null. */
  static String firstDifference(String path, JsonElement root, JsonElement mine) {
    if (root == null || root.isJsonNull() || mine == null || mine.isJsonNull()) {
      boolean rootAbsent = root == null || root.isJsonNull(), mineAbsent = mine == null || mine.isJsonNull();
      return rootAbsent == mineAbsent ? null : describe(path, root, mine);
    }
    if (root.isJsonObject() && mine.isJsonObject()) {
      JsonObject a = root.getAsJsonObject(), b = mine.getAsJsonObject();
      TreeSet<String> keys = new TreeSet<>(a.keySet());
      keys.addAll(b.keySet());
      for (Map.Entry<String, JsonElement> e : a.entrySet()) keys.remove(e.getKey());
      // rank 0's order first, then members only this rank has
      for (Map.Entry<String, JsonElement> e : a.entrySet()) {
        String d = firstDifference(join(path, e.getKey()), e.getValue(), b.get(e.getKey()));
        if (d != null) return d;
      }
      for (String k : keys) {
        String d = firstDifference(join(path, k), null, b.get(k));
        if (d != null) return d;
      }
      return null;
    }
    return root.equals(mine) ? null : describe(path, root, mine);
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static String describe(String path, JsonElement root, JsonElement mine) {
    return (path.isEmpty() ? "the configuration" : path) + ": ROOT has " + text(root) + ", MINE has " + text(mine);
  }

  /** Runs action (one of the agreements above), its checked exceptions as IOException (I/O) or unchanged (runtime). */
  static <T> T asIo(Callable<T> action) throws java.io.IOException {
    try {
      return action.call();
    } catch (java.io.IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new java.io.IOException(e.getMessage(), e);
    }
  }

  private static String text(JsonElement e) {
    return e == null || e.isJsonNull() ? "none" : e.toString();
  }
}
