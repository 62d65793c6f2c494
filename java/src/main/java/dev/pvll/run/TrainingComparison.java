package dev.pvll.run;

import com.google.gson.JsonObject;
import dev.pvll.data.TrainTest;
import dev.pvll.kernels.Collectives;
import dev.pvll.kernels.KernelException;
import dev.pvll.space.Genotype;
import dev.pvll.train.GenotypeTrainer;
import dev.pvll.train.TrainConfig;
import dev.pvll.train.TrainingSummary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Several training runs (genotypes x seeds, {@code pvll train --seeds/--random}), each in its own
 * run folder, into one {@link TrainingSummary}; a run found finished is read back, one found cut
 * off resumes. In a job of several ranks the runs are independent, so they can be shared two
 * ways ({@link Mode}): every run data-parallel over all ranks, one after another; or whole runs
 * spread over the ranks, run k on rank k mod R, one at a time, each a single process, with only
 * the results sent to rank 0 at the end.
 */
public final class TrainingComparison {
  private TrainingComparison() {}

  /** How a job's ranks share the runs. */
  public enum Mode {
    /** Each run over all ranks, its batches shared (one after another). */
    BATCHES,
    /** Whole runs spread over the ranks, one run per rank at a time; nothing shared while they train. */
    RUNS
  }

  /** One run: its name in the summary, genotype, seed and folder. */
  public record Entry(String name, Genotype genotype, long seed, Path dir) {}

  /** Where a run stands when the comparison reaches it. */
  public enum Status { NEW, RESUMING, FINISHED }

  /** Receives each run's progress on the rank that trains it (with {@link Mode#BATCHES}: rank 0). */
  public interface Listener {
    void starting(Entry run, Status status, int rank);

    void epochDone(Entry run, int epoch, int epochs, JsonObject line, double elapsedSeconds);

    void finished(Entry run, GenotypeTrainer.Result result, int rank);
  }

  /**
   * Trains (or reads back, or resumes) every run; returns the summary, complete on rank 0.
   *
   * @param config the runs' configuration (seed aside); with {@link Mode#BATCHES} its
   *     {@code parallel} is the job's, with {@link Mode#RUNS} a single process
   * @param timeoutSeconds the job's collectives timeout, recorded by resumed runs (null: keep theirs)
   */
  public static TrainingSummary run(List<Entry> runs, TrainConfig config, TrainTest data, Collectives collectives, Mode mode,
      Double timeoutSeconds, Listener listener) throws Exception {
    JsonObject agreed = new JsonObject();
    agreed.add("config", RunJson.COMPACT.toJsonTree(config));
    agreed.addProperty("mode", mode.name());
    agreed.add("runs", RunJson.COMPACT.toJsonTree(runs.stream().map(e -> e.name() + " " + e.genotype().toDartsString() + " seed "
        + e.seed() + " in " + e.dir()).toList()));
    RankAgreement.sameConfiguration(collectives, agreed);
    return mode == Mode.BATCHES || collectives.size() == 1 ? sharedBatches(runs, config, data, collectives, timeoutSeconds, listener)
        : spreadRuns(runs, config, data, collectives, listener);
  }

  /** Each run data-parallel over every rank; rank 0's folders decide whether a run is new, cut off or done. */
  private static TrainingSummary sharedBatches(List<Entry> runs, TrainConfig config, TrainTest data, Collectives c,
      Double timeoutSeconds, Listener listener) throws Exception {
    TrainingSummary summary = new TrainingSummary();
    for (Entry e : runs) {
      Status s = Status.values()[RankAgreement.fromRoot(c, () -> new byte[] {(byte) status(e.dir()).ordinal()})[0]];
      if (c.isRoot()) listener.starting(e, s, c.rank());
      GenotypeTrainer.Result r;
      if (s == Status.FINISHED) {
        if (!c.isRoot()) continue;
        r = TrainingRun.readResult(e.dir());
      } else {
        try (TrainingRun t = s == Status.RESUMING ? TrainingRun.resume(TrainingRun.read(e.dir(), c, timeoutSeconds), data, c)
            : TrainingRun.start(config.withSeed(e.seed()), e.genotype(), data, e.dir(), c)) {
          r = t.run((epoch, epochs, line, elapsed) -> listener.epochDone(e, epoch, epochs, line, elapsed));
        }
      }
      summary.add(e.name(), r);
      if (c.isRoot()) listener.finished(e, r, c.rank());
    }
    return summary;
  }

  /**
   * Run k on rank k mod R, each a single process in its rank's own folder; a heartbeat thread on
   * every rank takes part in a small all-reduce every second until every rank is done, so a rank
   * that dies is noticed within the timeout even by ranks that wait for the others' runs; then
   * each run's owner sends its result to every rank.
   */
  private static TrainingSummary spreadRuns(List<Entry> runs, TrainConfig config, TrainTest data, Collectives c, Listener listener)
      throws Exception {
    Heartbeat heartbeat = new Heartbeat(c);
    heartbeat.start();
    String[] mine = new String[runs.size()];
    try {
      for (int k = c.rank(); k < runs.size(); k += c.size()) {
        Entry e = runs.get(k);
        Status s = status(e.dir());
        listener.starting(e, s, c.rank());
        GenotypeTrainer.Result r;
        if (s == Status.FINISHED) {
          r = TrainingRun.readResult(e.dir());
        } else {
          try (TrainingRun t = s == Status.RESUMING ? TrainingRun.resume(e.dir(), data) : TrainingRun.start(config.withSeed(e.seed()),
              e.genotype(), data, e.dir())) {
            r = t.run((epoch, epochs, line, elapsed) -> {
              heartbeat.check();
              listener.epochDone(e, epoch, epochs, line, elapsed);
            });
            mine[k] = t.resultJson(r).toString();
          }
        }
        if (mine[k] == null) mine[k] = TrainingRun.readResultJson(e.dir());
        listener.finished(e, r, c.rank());
      }
    } catch (Exception | Error e) {
      heartbeat.stop();
      throw e;
    }
    heartbeat.finish();
    TrainingSummary summary = new TrainingSummary();
    for (int k = 0; k < runs.size(); k++) {
      int owner = k % c.size();
      byte[] json = c.broadcast(owner == c.rank() ? mine[k].getBytes(StandardCharsets.UTF_8) : null, owner);
      summary.add(runs.get(k).name(), TrainingRun.parseResult(new String(json, StandardCharsets.UTF_8), "rank " + owner + "'s result of "
          + runs.get(k).dir()));
    }
    return summary;
  }

  private static Status status(Path dir) {
    if (TrainingRun.isFinished(dir)) return Status.FINISHED;
    return RunFolder.hasCheckpoint(dir) ? Status.RESUMING : Status.NEW;
  }

  /** Every rank's "still working" in one all-reduce a second, on a thread of its own, until every rank is done. */
  private static final class Heartbeat {
    private final Collectives c;
    private final Thread thread;
    private volatile boolean done;
    private volatile RuntimeException failure;

    Heartbeat(Collectives c) {
      this.c = c;
      this.thread = new Thread(this::beat, "pvll-heartbeat");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void beat() {
      try {
        while (true) {
          double[] finished = {done ? 1 : 0};
          c.allReduceSum(finished);
          if (finished[0] == c.size()) return;
          Thread.sleep(1000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    /** Throws what ended the heartbeat (another rank died: a collective timed out). */
    void check() {
      if (failure != null) throw new KernelException("heartbeat", KernelException.COLLECTIVE, "while training its runs, this rank lost "
          + "the others: " + failure.getMessage());
    }

    /** This rank is done: waits until every rank is. */
    void finish() throws InterruptedException {
      done = true;
      thread.join();
      check();
    }

    /** Gives up (this rank failed; the caller ends the job). */
    void stop() {
      thread.interrupt();
    }
  }
}
