package dev.pvll.train;

import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import dev.pvll.nn.DropPath;
import dev.pvll.nn.FactorizedReduce;
import dev.pvll.nn.Identity;
import dev.pvll.nn.InferenceGraph;
import dev.pvll.nn.Layer;
import dev.pvll.nn.Mode;
import dev.pvll.nn.ParameterStore;
import dev.pvll.space.Gene;
import dev.pvll.supernet.Operations;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A cell of the evaluation network: the two genes of every node (affine BN, no BN after pools),
 * drop-path on every op but the identity, output = concat of the genotype's concat states.
 */
final class EvalCell {
  private final List<Gene> genes;
  private final List<Integer> concat;
  private final int channels;
  private final boolean reduction;
  private final Layer pre0, pre1;
  private final Layer[] ops;
  private final DropPath[] dropPaths;
  private final List<Tensor> states = new ArrayList<>();

  EvalCell(ParameterStore store, ParameterStore buffers, String name, List<Gene> genes, List<Integer> concat, int cPrevPrev,
      int cPrev, int c, boolean reduction, boolean reductionPrev) {
    this.genes = genes;
    this.concat = concat;
    this.channels = c;
    this.reduction = reduction;
    pre0 = reductionPrev
        ? new FactorizedReduce(store, buffers, name + ".preprocess0", cPrevPrev, c, true)
        : Operations.reluConvBn(store, buffers, name + ".preprocess0", cPrevPrev, c, 1, 1, 0, true);
    pre1 = Operations.reluConvBn(store, buffers, name + ".preprocess1", cPrev, c, 1, 1, 0, true);
    ops = new Layer[genes.size()];
    dropPaths = new DropPath[genes.size()];
    for (int k = 0; k < genes.size(); k++) {
      Gene g = genes.get(k);
      int stride = reduction && g.input() < 2 ? 2 : 1;
      ops[k] = Operations.create(g.op(), store, buffers, name + "._ops." + k, c, stride, true, false);
      dropPaths[k] = new DropPath();
    }
  }

  int outputChannels() {
    return concat.size() * channels;
  }

  boolean isReduction() {
    return reduction;
  }

  Tensor forward(Tensor in0, Tensor in1, float dropProb, SplittableRandom rng, Mode mode) {
    states.clear();
    states.add(pre0.forward(in0, mode));
    states.add(pre1.forward(in1, mode));
    Tensor s1 = states.get(1);
    int h = reduction ? s1.dim(2) / 2 : s1.dim(2), w = reduction ? s1.dim(3) / 2 : s1.dim(3);
    for (int node = 0; node < genes.size() / 2; node++) {
      Tensor sum = Tensor.zeros(s1.device(), s1.dim(0), channels, h, w);
      for (int k = 2 * node; k < 2 * node + 2; k++) {
        if (ops[k] == null) continue;
        Tensor y = ops[k].forward(states.get(genes.get(k).input()), mode);
        if (!(ops[k] instanceof Identity)) y = dropPaths[k].forward(y, dropProb, rng, mode);
        ElementwiseOps.scaleAdd(y, 1f, sum, true);
      }
      states.add(sum);
    }
    Tensor out = Tensor.empty(s1.device(), s1.dim(0), outputChannels(), h, w);
    TensorOps.concatChannels(concat.stream().map(states::get).toList(), out);
    return out;
  }

  void backward(Tensor dOut, Tensor d0, Tensor d1) {
    Tensor[] dStates = new Tensor[states.size()];
    for (int i = 0; i < states.size(); i++) dStates[i] = Tensor.zeros(dOut.device(), states.get(i).shape());
    List<Tensor> parts = new ArrayList<>();
    for (int idx : concat) parts.add(Tensor.emptyLike(states.get(idx)));
    TensorOps.splitChannels(dOut, parts, false);
    for (int k = 0; k < concat.size(); k++) ElementwiseOps.scaleAdd(parts.get(k), 1f, dStates[concat.get(k)], true);
    for (int node = genes.size() / 2 - 1; node >= 0; node--) {
      Tensor dNode = dStates[node + 2];
      for (int k = 2 * node; k < 2 * node + 2; k++) {
        if (ops[k] == null) continue;
        Tensor dy = ops[k] instanceof Identity ? dNode : dropPaths[k].backward(dNode);
        ops[k].backward(dy, dStates[genes.get(k).input()], true);
      }
    }
    pre0.backward(dStates[0], d0, true);
    pre1.backward(dStates[1], d1, true);
  }

  /**
   * The cell's inference computation (no drop-path) on the values named in0 and in1; returns the
   * name of its output.
   */
  String toGraph(InferenceGraph graph, String in0, String in1) {
    List<String> names = new ArrayList<>(List.of(pre0.toGraph(graph, in0), pre1.toGraph(graph, in1)));
    for (int node = 0; node < genes.size() / 2; node++) {
      String sum = null;
      for (int k = 2 * node; k < 2 * node + 2; k++) {
        if (ops[k] == null) continue;
        String y = ops[k].toGraph(graph, names.get(genes.get(k).input()));
        sum = sum == null ? y : graph.add(sum, y);
      }
      if (sum == null) throw new UnsupportedOperationException("node " + (node + 2) + " of a cell has only 'none' inputs: its output is a constant zero map");
      names.add(sum);
    }
    return graph.concatChannels(concat.stream().map(names::get).toList());
  }

  long multiplyAdds(int[] shape0, int[] shape1) {
    long total = pre0.multiplyAdds(shape0) + pre1.multiplyAdds(shape1);
    int[] s = pre1.outputShape(shape1);
    for (int k = 0; k < ops.length; k++) {
      if (ops[k] == null) continue;
      int input = genes.get(k).input();
      int[] in = input == 0 ? pre0.outputShape(shape0) : s;
      if (input >= 2) in = new int[] {s[0], channels, reduction ? s[2] / 2 : s[2], reduction ? s[3] / 2 : s[3]};
      total += ops[k].multiplyAdds(in);
    }
    return total;
  }
}
