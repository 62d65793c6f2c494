package dev.pvll.supernet;

import dev.pvll.kernels.Branching;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.Lanes;
import dev.pvll.kernels.StepOps;
import dev.pvll.space.NetworkConfig;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.BatchNorm;
import dev.pvll.nn.Conv2d;
import dev.pvll.nn.GlobalAvgPool;
import dev.pvll.nn.Linear;
import dev.pvll.nn.Mode;
import dev.pvll.nn.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The weight-sharing search network (supernet): stem (3x3 conv, BN), cells (reductions at
 * cells/3 and 2*cells/3, BN without affine parameters inside cells), global average pool,
 * linear classifier. Parameters live in one flat buffer ({@link #parameters()}), BN running
 * statistics in another ({@link #buffers()}).
 *
 * <p>Optimiser policy for ops that a step did not run: they have no gradient, and as in
 * PyTorch 2 (where their .grad is None after zero_grad) the SGD step skips them entirely: no
 * weight decay, no momentum update ({@link #sgdStep}).
 */
public final class SearchNetwork implements AutoCloseable {
  private final NetworkConfig config;
  private final ParameterStore store = new ParameterStore();
  private final ParameterStore buffers = new ParameterStore();
  private final Conv2d stemConv;
  private final BatchNorm stemBn;
  private final List<SearchCell> cells = new ArrayList<>();
  private final GlobalAvgPool pool = new GlobalAvgPool();
  private final Linear classifier;
  private final List<long[]> sharedRanges = new ArrayList<>();
  private final List<Tensor> states = new ArrayList<>();

  /** Builds the network on device with parameters initialised from seed. */
  public SearchNetwork(NetworkConfig config, Device device, long seed) {
    this.config = config;
    int c = config.channels();
    int cStem = config.stemMultiplier() * c;
    store.beginSegment("stem");
    stemConv = new Conv2d(store, "stem.conv", config.inputChannels(), cStem, 3, 1, 1, 1, false);
    stemBn = new BatchNorm(store, buffers, "stem.bn", cStem, true);
    shared(store.endSegment());
    int cPrevPrev = cStem, cPrev = cStem, cCurr = c;
    boolean reductionPrev = false;
    for (int i = 0; i < config.cells(); i++) {
      boolean reduction = config.isReduction(i);
      if (reduction) cCurr *= 2;
      long before = store.size();
      SearchCell cell = new SearchCell(store, buffers, "cells." + i, config.nodes(), cPrevPrev, cPrev, cCurr, reduction, reductionPrev);
      cells.add(cell);
      reductionPrev = reduction;
      cPrevPrev = cPrev;
      cPrev = cell.outputChannels();
      collectPreprocessRanges(before);
    }
    store.beginSegment("classifier");
    classifier = new Linear(store, "classifier", cPrev, config.classes());
    shared(store.endSegment());
    store.allocate(device, seed);
    buffers.allocate(device, seed);
  }

  public NetworkConfig config() {
    return config;
  }

  /** Learnable parameters (flat values, gradients, momentum). */
  public ParameterStore parameters() {
    return store;
  }

  /** BN running statistics. */
  public ParameterStore buffers() {
    return buffers;
  }

  /**
   * Logits [N, classes] of images x [N, C, H, W] through the architecture held in arch's tensors,
   * each edge's op picked by branching: read on the host for plain launches, or recorded as a
   * switch node while a CUDA graph is captured, so that the same launches serve every
   * architecture. With lanes (null: the serial structure) each cell's edges are pieces on lanes:
   * inside a captured graph, independent edges become parallel branches. Same numbers either way.
   */
  public Tensor forward(Tensor x, DeviceArchitecture arch, Branching branching, Lanes lanes, Mode mode) {
    states.clear();
    Tensor stem = stemBn.forward(stemConv.forward(x, mode), mode);
    states.add(stem);
    for (int k = 0; k < cells.size(); k++) {
      SearchCell cell = cells.get(k);
      Tensor in0 = states.get(Math.max(k - 1, 0)), in1 = states.get(k);
      states.add(cell.forward(in0, in1, arch.forCell(cell.isReduction(), branching), mode, lanes));
    }
    return classifier.forward(pool.forward(states.get(states.size() - 1), mode), mode);
  }

  /** Lanes a forward on lanes uses (those of one cell: cells run one after the other). */
  public int laneCount() {
    return cells.get(0).laneCount();
  }

  /**
   * The SGD step of {@link dev.pvll.nn.ParameterStore#sgdStep} over the parameters a step with
   * arch's architecture used, with the learning rate and gate of control ({@link StepOps}): the
   * shared parts always, each edge's op through branching, on its lane when lanes is not null.
   */
  public void sgdStep(DeviceArchitecture arch, Branching branching, Lanes lanes, Tensor control, SgdConfig sgd) {
    for (long[] r : ParameterStore.merge(sharedRanges)) sgdRange(r[0], r[1], control, sgd);
    for (SearchCell cell : cells) {
      cell.forEachSelectedSegment(arch.forCell(cell.isReduction(), branching),
          s -> sgdRange(s.start(), s.end(), control, sgd), lanes);
    }
  }

  private void sgdRange(long start, long end, Tensor control, SgdConfig sgd) {
    int len = (int) (end - start);
    if (len == 0) return;
    try (Tensor p = store.values().view(start, len); Tensor g = store.grads().view(start, len);
        Tensor m = store.momentum().view(start, len)) {
      StepOps.sgdStepBy(p, g, m, control, sgd.momentum(), sgd.weightDecay());
    }
  }

  /**
   * Back-propagates dL/dlogits of the last training forward into the parameter gradients; when
   * edgeGradients ([2][edges]) is not null, also adds dL/d(edge weight) summed over the cells of
   * each type (row 0 normal, row 1 reduction): what a straight-through estimator (GDAS) sends into
   * A. Edge gradients need a forward in the serial structure, outside a graph capture.
   */
  public void backward(Tensor dLogits, double[][] edgeGradients) {
    Tensor last = states.get(states.size() - 1);
    Tensor[] dStates = new Tensor[states.size()];
    Tensor pooled = Tensor.empty(dLogits.device(), last.dim(0), last.dim(1));
    classifier.backward(dLogits, pooled, false);
    dStates[states.size() - 1] = Tensor.emptyLike(last);
    pool.backward(pooled, dStates[states.size() - 1], false);
    pooled.close();
    for (int k = 0; k < states.size() - 1; k++) dStates[k] = Tensor.zeros(dLogits.device(), states.get(k).shape());
    for (int k = cells.size() - 1; k >= 0; k--) {
      SearchCell cell = cells.get(k);
      double[] g = edgeGradients == null ? null : edgeGradients[cell.isReduction() ? 1 : 0];
      cell.backward(dStates[k + 1], dStates[Math.max(k - 1, 0)], dStates[k], g);
      dStates[k + 1].close();
    }
    Tensor dStem = Tensor.emptyLike(states.get(0));
    stemBn.backward(dStates[0], dStem, false);
    stemConv.backward(dStem, null, false);
    dStem.close();
    dStates[0].close();
  }

  private void shared(ParameterStore.Segment s) {
    sharedRanges.add(new long[] {s.start(), s.end()});
  }

  /** Everything a cell registered outside its op segments is its preprocessing: always updated. */
  private void collectPreprocessRanges(long cellStart) {
    long pos = cellStart;
    for (ParameterStore.Segment s : store.segments()) {
      if (s.start() < cellStart) continue;
      if (s.start() > pos) sharedRanges.add(new long[] {pos, s.start()});
      pos = Math.max(pos, s.end());
    }
    if (store.size() > pos) sharedRanges.add(new long[] {pos, store.size()});
  }

  @Override
  public void close() {
    store.close();
    buffers.close();
  }
}
