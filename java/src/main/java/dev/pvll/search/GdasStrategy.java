package dev.pvll.search;

import com.google.gson.JsonObject;
import dev.pvll.data.Batch;
import dev.pvll.data.BatchLoader;
import dev.pvll.space.Genotype;
import dev.pvll.supernet.StepResult;
import dev.pvll.supernet.SupernetStep;

/**
 * The GDAS baseline: no warm-up and no labels; each step is one supernet epoch in which every
 * training batch takes a weight step on a fresh hard sample (weight 1 on the chosen op), then A
 * takes an Adam step on the next validation batch with the straight-through gradient. tau anneals
 * linearly from 10 to 0.1 over as many epochs as the PVLL schedule trains. The genotype is the
 * DARTS rule on A.
 */
final class GdasStrategy implements SearchStrategy {
  private final SearchConfig config;
  private final Architect architect;
  private final SupernetEpochs supernet;
  private final LogLines log;

  GdasStrategy(SearchConfig config, Architect architect, SupernetEpochs supernet, LogLines log) {
    this.config = config;
    this.architect = architect;
    this.supernet = supernet;
    this.log = log;
  }

  @Override
  public boolean warmsUp() {
    return false;
  }

  @Override
  public int steps() {
    return config.totalEpochs();
  }

  /** tau in step s: linear from 10 to 0.1 over the run. */
  double tau(int s) {
    int last = Math.max(1, config.totalEpochs() - 1);
    return 10.0 - (10.0 - 0.1) * Math.min(s, last) / last;
  }

  @Override
  public JsonObject step(int step) {
    int e = supernet.epoch();
    double tau = tau(step);
    SupernetEpochs.Stats[] st = supernet.runEpoch(e, lr -> epoch(e, lr, tau, 1_000_000L * step));
    return log.gdas(step, tau, st[0], st[1], genotype());
  }

  /**
   * One epoch at learning rate lr; samples use counters counterBase, counterBase + 1, ... Returns
   * the training stats and the stats of the validation batches used for A.
   */
  private SupernetEpochs.Stats[] epoch(int e, float lr, double tau, long counterBase) {
    SupernetStep step = supernet.step();
    int edges = architect.encoding().edgesPerCell();
    double valLoss = 0;
    long valCorrect = 0, valSeen = 0;
    step.beginTraining(lr);
    BatchLoader val = null;
    try (BatchLoader train = supernet.trainingBatches(e)) {
      for (int b = 0; b < supernet.batchesPerEpoch() && train.hasNext(); b++) {
        Batch batch = train.next();
        step.setArchitecture(architect.sampleAt(counterBase + 2L * b, tau).hardOnSupernet());
        step.trainStep(batch.images(), batch.labels());
        StepResult r = step.lastTrainingStep();
        if (!Double.isFinite(r.loss())) throw new SearchDivergedException("GDAS training loss became " + r.loss() + " in epoch " + e);
        if (val == null || !val.hasNext()) {
          if (val != null) val.close();
          val = supernet.shuffledValidationBatches(e);
        }
        Batch vb = val.next();
        Architecture forA = architect.sampleAt(counterBase + 2L * b + 1, tau);
        step.setArchitecture(forA.hardOnSupernet());
        double[][] g = new double[2][edges];
        StepResult v = step.edgeGradients(vb.images(), vb.labels(), g);
        if (!Double.isFinite(v.loss())) throw new SearchDivergedException("GDAS validation loss became " + v.loss() + " in epoch " + e);
        double[] flat = new double[2 * edges];
        System.arraycopy(g[0], 0, flat, 0, edges);
        System.arraycopy(g[1], 0, flat, edges, edges);
        architect.stepWithGradient(Architect.straightThroughGradient(forA, flat, tau));
        valLoss += v.loss() * v.count();
        valCorrect += v.correct();
        valSeen += v.count();
      }
    } finally {
      if (val != null) val.close();
    }
    return new SupernetEpochs.Stats[] {SupernetEpochs.Stats.of(step.finishTraining()),
        new SupernetEpochs.Stats(valLoss / Math.max(1, valSeen), (double) valCorrect / Math.max(1, valSeen), (int) valSeen)};
  }

  @Override
  public Genotype genotype() {
    return architect.encoding().genotype(architect.alpha());
  }
}
