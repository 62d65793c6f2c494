package dev.pvll.supernet;

import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.kernels.TensorOps;
import dev.pvll.nn.FactorizedReduce;
import dev.pvll.nn.Layer;
import dev.pvll.nn.Mode;
import dev.pvll.nn.ParameterStore;
import dev.pvll.space.CellTopology;
import dev.pvll.space.Primitive;
import java.util.ArrayList;
import java.util.List;

/**
 * A weight-sharing DARTS cell: every edge holds all candidate ops' parameters; a forward pass
 * runs only the op chosen on each edge and scales its output by the edge weight; node j sums
 * its edges; the output concatenates the intermediate nodes.
 */
final class SearchCell {
  private final int nodes;
  private final CellTopology topology;
  private final boolean reduction;
  private final int channels;
  private final Layer pre0, pre1;
  private final Layer[][] ops; // [edge][primitive], null for none
  private final ParameterStore.Segment[][] segments; // [edge][primitive], null where no parameters
  private final List<Tensor> states = new ArrayList<>();
  private final Tensor[] edgeOutputs;
  private EdgeSelection selection;

  SearchCell(ParameterStore store, ParameterStore buffers, String name, int nodes, int cPrevPrev, int cPrev, int c,
      boolean reduction, boolean reductionPrev) {
    this.nodes = nodes;
    this.topology = CellTopology.of(nodes);
    this.reduction = reduction;
    this.channels = c;
    pre0 = reductionPrev
        ? new FactorizedReduce(store, buffers, name + ".preprocess0", cPrevPrev, c, false)
        : Operations.reluConvBn(store, buffers, name + ".preprocess0", cPrevPrev, c, 1, 1, 0, false);
    pre1 = Operations.reluConvBn(store, buffers, name + ".preprocess1", cPrev, c, 1, 1, 0, false);
    int edges = nodes * (nodes + 3) / 2;
    Primitive[] prims = Primitive.values();
    ops = new Layer[edges][prims.length];
    edgeOutputs = new Tensor[edges];
    segments = new ParameterStore.Segment[edges][prims.length];
    for (int j = 0; j < nodes; j++) {
      for (int i = 0; i < j + 2; i++) {
        int e = topology.firstEdgeOf(j + 2) + i;
        int stride = reduction && i < 2 ? 2 : 1;
        for (Primitive p : prims) {
          String opName = name + ".edge" + e + "." + p.name().toLowerCase();
          store.beginSegment(opName);
          ops[e][p.ordinal()] = Operations.create(p, store, buffers, opName, c, stride, false, true);
          ParameterStore.Segment s = store.endSegment();
          segments[e][p.ordinal()] = s.size() > 0 ? s : null;
        }
      }
    }
  }

  int outputChannels() {
    return nodes * channels;
  }

  boolean isReduction() {
    return reduction;
  }

  /** Calls action with the parameter segment of the op selected on each edge (ops without parameters: none). */
  void forEachSelectedSegment(EdgeSelection sel, java.util.function.Consumer<ParameterStore.Segment> action) {
    for (int e = 0; e < segments.length; e++) {
      ParameterStore.Segment[] edge = segments[e];
      sel.onEdge(e, p -> {
        if (edge[p] != null) action.accept(edge[p]);
      });
    }
  }

  /** The parameter segments of the ops a choice runs. */
  void activeSegments(CellChoice c, List<long[]> out) {
    for (int e = 0; e < segments.length; e++) {
      ParameterStore.Segment s = segments[e][c.op(e)];
      if (s != null) out.add(new long[] {s.start(), s.end()});
    }
  }

  Tensor forward(Tensor in0, Tensor in1, CellChoice c, Mode mode) {
    if (c.edges() != ops.length) {
      throw new IllegalArgumentException("architecture has " + c.edges() + " edges per cell, the network " + ops.length);
    }
    return forward(in0, in1, EdgeSelection.of(c), mode);
  }

  /** The forward pass with the ops and weights of selection (host-side or read from tensors). */
  Tensor forward(Tensor in0, Tensor in1, EdgeSelection sel, Mode mode) {
    selection = sel;
    states.clear();
    states.add(pre0.forward(in0, mode));
    states.add(pre1.forward(in1, mode));
    Tensor s1 = states.get(1);
    int h = reduction ? s1.dim(2) / 2 : s1.dim(2), w = reduction ? s1.dim(3) / 2 : s1.dim(3);
    for (int j = 0; j < nodes; j++) {
      Tensor node = Tensor.zeros(s1.device(), s1.dim(0), channels, h, w);
      for (int i = 0; i < j + 2; i++) {
        int e = topology.firstEdgeOf(j + 2) + i;
        Tensor input = states.get(i);
        edgeOutputs[e] = null;
        sel.onEdge(e, p -> {
          Layer op = ops[e][p];
          if (op == null) return;
          edgeOutputs[e] = op.forward(input, mode);
          sel.scaleAdd(e, edgeOutputs[e], node, true);
        });
      }
      states.add(node);
    }
    Tensor out = Tensor.empty(s1.device(), s1.dim(0), outputChannels(), h, w);
    TensorOps.concatChannels(states.subList(2, states.size()), out);
    return out;
  }

  /**
   * Adds dL/d(in0) into d0 and dL/d(in1) into d1 (they may be the same tensor); when
   * edgeGradients is not null, adds dL/d(edge weight) of every edge into it (the chosen op's
   * output dotted with its node's gradient; 0 for none).
   */
  void backward(Tensor dOut, Tensor d0, Tensor d1, double[] edgeGradients) {
    Tensor[] dStates = new Tensor[states.size()];
    List<Tensor> dNodes = new ArrayList<>();
    for (int j = 0; j < nodes; j++) {
      dStates[j + 2] = Tensor.emptyLike(states.get(j + 2));
      dNodes.add(dStates[j + 2]);
    }
    TensorOps.splitChannels(dOut, dNodes, false);
    dStates[0] = Tensor.zeros(dOut.device(), states.get(0).shape());
    dStates[1] = Tensor.zeros(dOut.device(), states.get(1).shape());
    if (edgeGradients != null && selection.hostChoice() == null) {
      throw new IllegalStateException("edge gradients need an architecture known on the host");
    }
    for (int j = nodes - 1; j >= 0; j--) {
      Tensor dNode = dStates[j + 2];
      Tensor scaled = Tensor.emptyLike(dNode);
      for (int i = 0; i < j + 2; i++) {
        int e = topology.firstEdgeOf(j + 2) + i;
        Tensor dInput = dStates[i];
        selection.onEdge(e, p -> {
          Layer op = ops[e][p];
          if (op == null) return;
          if (edgeGradients != null) edgeGradients[e] += ElementwiseOps.dot(dNode, edgeOutputs[e]);
          selection.scaleAdd(e, dNode, scaled, false);
          op.backward(scaled, dInput, true);
        });
      }
      scaled.close();
    }
    pre0.backward(dStates[0], d0, true);
    pre1.backward(dStates[1], d1, true);
    for (Tensor t : dStates) t.close();
  }
}
