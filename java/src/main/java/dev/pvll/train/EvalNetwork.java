package dev.pvll.train;

import dev.pvll.kernels.Device;
import dev.pvll.space.NetworkConfig;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.BatchNorm;
import dev.pvll.nn.Conv2d;
import dev.pvll.nn.GlobalAvgPool;
import dev.pvll.nn.InferenceGraph;
import dev.pvll.nn.Linear;
import dev.pvll.nn.Mode;
import dev.pvll.nn.ParameterStore;
import dev.pvll.space.Genotype;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The network that retrains a genotype (DARTS NetworkCIFAR): stem, cells built from the
 * genotype with affine BN and drop-path, an optional auxiliary head after cell 2*cells/3,
 * global average pool, linear classifier.
 */
public final class EvalNetwork implements AutoCloseable {
  /** Main logits and, in training with the auxiliary head, the auxiliary logits (else null). */
  public record Output(Tensor logits, Tensor auxLogits) {}

  private final NetworkConfig config;
  private final ParameterStore store = new ParameterStore();
  private final ParameterStore buffers = new ParameterStore();
  private final Conv2d stemConv;
  private final BatchNorm stemBn;
  private final List<EvalCell> cells = new ArrayList<>();
  private final AuxiliaryHead aux;
  private final int auxPosition;
  private final GlobalAvgPool pool = new GlobalAvgPool();
  private final Linear classifier;
  private final List<Tensor> states = new ArrayList<>();
  private final long auxParameters;
  private boolean auxUsed;

  /** config.nodes() must match the genotype; auxiliary adds the DARTS auxiliary head. */
  public EvalNetwork(NetworkConfig config, Genotype genotype, boolean auxiliary, Device device, long seed) {
    if (genotype.nodes() != config.nodes()) {
      throw new IllegalArgumentException("genotype has " + genotype.nodes() + " nodes per cell, the configuration " + config.nodes());
    }
    this.config = config;
    int c = config.channels(), cStem = config.stemMultiplier() * c;
    stemConv = new Conv2d(store, "stem.0", config.inputChannels(), cStem, 3, 1, 1, 1, false);
    stemBn = new BatchNorm(store, buffers, "stem.1", cStem, true);
    int cPrevPrev = cStem, cPrev = cStem, cCurr = c, size = config.imageSize();
    boolean reductionPrev = false;
    auxPosition = 2 * config.cells() / 3;
    AuxiliaryHead head = null;
    long auxStart = 0, auxEnd = 0;
    for (int i = 0; i < config.cells(); i++) {
      boolean reduction = config.isReduction(i);
      if (reduction) {
        cCurr *= 2;
        size /= 2;
      }
      EvalCell cell = new EvalCell(store, buffers, "cells." + i, reduction ? genotype.reduce() : genotype.normal(),
          reduction ? genotype.reduceConcat() : genotype.normalConcat(), cPrevPrev, cPrev, cCurr, reduction, reductionPrev);
      cells.add(cell);
      reductionPrev = reduction;
      cPrevPrev = cPrev;
      cPrev = cell.outputChannels();
      if (auxiliary && i == auxPosition) {
        auxStart = store.size();
        head = new AuxiliaryHead(store, buffers, "auxiliary_head", cPrev, size, config.classes());
        auxEnd = store.size();
      }
    }
    aux = head;
    auxParameters = auxEnd - auxStart;
    classifier = new Linear(store, "classifier", cPrev, config.classes());
    store.allocate(device, seed);
    buffers.allocate(device, seed);
  }

  public NetworkConfig config() {
    return config;
  }

  public ParameterStore parameters() {
    return store;
  }

  public ParameterStore buffers() {
    return buffers;
  }

  /** Learnable parameters, the auxiliary head excluded (the DARTS counting convention). */
  public long parameterCountWithoutAuxiliary() {
    return store.size() - auxParameters;
  }

  /** Forward pass; drop-path masks are drawn from rng in training. */
  public Output forward(Tensor x, float dropPathProb, SplittableRandom rng, Mode mode) {
    states.clear();
    states.add(stemBn.forward(stemConv.forward(x, mode), mode));
    Tensor auxLogits = null;
    for (int k = 0; k < cells.size(); k++) {
      Tensor in0 = states.get(Math.max(k - 1, 0)), in1 = states.get(k);
      states.add(cells.get(k).forward(in0, in1, dropPathProb, rng, mode));
      if (aux != null && k == auxPosition && mode == Mode.TRAIN) auxLogits = aux.forward(states.get(k + 1), mode);
    }
    auxUsed = auxLogits != null;
    Tensor logits = classifier.forward(pool.forward(states.get(states.size() - 1), mode), mode);
    return new Output(logits, auxLogits);
  }

  /** Back-propagates dL/dlogits (and dL/dauxLogits when the last forward produced them). */
  public void backward(Tensor dLogits, Tensor dAuxLogits) {
    Tensor last = states.get(states.size() - 1);
    Tensor[] dStates = new Tensor[states.size()];
    Tensor pooled = Tensor.empty(dLogits.device(), last.dim(0), last.dim(1));
    classifier.backward(dLogits, pooled, false);
    dStates[states.size() - 1] = Tensor.emptyLike(last);
    pool.backward(pooled, dStates[states.size() - 1], false);
    pooled.close();
    for (int k = 0; k < states.size() - 1; k++) dStates[k] = Tensor.zeros(dLogits.device(), states.get(k).shape());
    if (auxUsed && dAuxLogits != null) aux.backward(dAuxLogits, dStates[auxPosition + 1], true);
    for (int k = cells.size() - 1; k >= 0; k--) {
      cells.get(k).backward(dStates[k + 1], dStates[Math.max(k - 1, 0)], dStates[k]);
      dStates[k + 1].close();
    }
    Tensor dStem = Tensor.emptyLike(states.get(0));
    stemBn.backward(dStates[0], dStem, false);
    stemConv.backward(dStem, null, false);
    dStem.close();
    dStates[0].close();
  }

  /**
   * The network's inference computation on the images named input (the same as {@link #forward}
   * in {@link Mode#EVAL}: running batch-norm statistics, no drop-path, no auxiliary head);
   * returns the name of the logits [N, classes].
   */
  public String toGraph(InferenceGraph graph, String input) {
    List<String> names = new ArrayList<>();
    names.add(stemBn.toGraph(graph, stemConv.toGraph(graph, input)));
    for (int k = 0; k < cells.size(); k++) names.add(cells.get(k).toGraph(graph, names.get(Math.max(k - 1, 0)), names.get(k)));
    return classifier.toGraph(graph, pool.toGraph(graph, names.get(names.size() - 1)));
  }

  /** Multiply-adds of one forward pass for one image, the auxiliary head excluded. */
  public long multiplyAdds() {
    int size = config.imageSize();
    int[] stemShape = {1, config.stemMultiplier() * config.channels(), size, size};
    long total = stemConv.multiplyAdds(new int[] {1, config.inputChannels(), size, size});
    List<int[]> shapes = new ArrayList<>(List.of(stemShape));
    int cCurr = config.channels();
    for (int k = 0; k < cells.size(); k++) {
      EvalCell cell = cells.get(k);
      int[] s0 = shapes.get(Math.max(k - 1, 0)), s1 = shapes.get(k);
      total += cell.multiplyAdds(s0, s1);
      if (cell.isReduction()) {
        cCurr *= 2;
        size /= 2;
      }
      shapes.add(new int[] {1, cell.outputChannels(), size, size});
    }
    int[] last = shapes.get(shapes.size() - 1);
    return total + classifier.multiplyAdds(new int[] {1, last[1]});
  }

  @Override
  public void close() {
    store.close();
    buffers.close();
  }
}
