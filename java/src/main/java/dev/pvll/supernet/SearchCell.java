package dev.pvll.supernet;

import dev.pvll.kernels.ElementwiseOps;
import dev.pvll.kernels.Lanes;
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
 *
 * <p>The same ops run in one of two structures, with the same numbers: serial (edges in order,
 * each op's input gradient added straight into its input's; what plain and resident launches run,
 * and what edge gradients need) or as pieces on {@link Lanes} (each edge's op on a lane of its
 * own, its input gradient in a buffer of its own, gathered in the serial order; inside a captured
 * graph the lanes are parallel branches). The lanes structure costs a buffer and an addition per
 * edge in the backward pass, so the serial one stays where nothing runs in parallel.
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
  private final Tensor[][] opOutputs; // [edge][primitive]: lanes mode, the output of each op that ran
  private EdgeSelection selection;
  private Lanes lanes; // null: the serial structure of the last forward

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
    opOutputs = new Tensor[edges][prims.length];
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

  /**
   * The backward pass of a forward on lanes: each edge's op after its node's gradient is complete,
   * writing its input gradient to a buffer of its own; each state's gradient gathers those in the
   * order the serial backward adds them (nodes from last to first), so the numbers are the same.
   */
  private void backwardOnLanes(Tensor dOut, Tensor d0, Tensor d1) {
    Tensor[] dStates = stateGradients(dOut);
    Tensor[][] contributions = new Tensor[ops.length][ops[0].length];
    Lanes.Mark[] complete = new Lanes.Mark[states.size()];
    Lanes.Mark[] edgeDone = new Lanes.Mark[ops.length];
    Lanes.Mark start = lanes.mark();
    for (int j = nodes - 1; j >= 0; j--) {
      int state = j + 2;
      complete[state] = gather(state, dStates[state], contributions, edgeDone, start);
      for (int i = 0; i < j + 2; i++) {
        int e = topology.firstEdgeOf(j + 2) + i, input = i;
        Tensor dNode = dStates[state];
        edgeDone[e] = lanes.run(edgeLane(e), () -> selection.onEdge(e, p -> {
          Layer op = ops[e][p];
          if (op == null) return;
          Tensor scaled = Tensor.emptyLike(dNode);
          selection.scaleAdd(e, dNode, scaled, false);
          contributions[e][p] = Tensor.emptyLike(states.get(input));
          op.backward(scaled, contributions[e][p], false);
          scaled.close();
        }), complete[state]);
      }
    }
    Lanes.Mark g0 = gather(0, dStates[0], contributions, edgeDone, start);
    Lanes.Mark g1 = gather(1, dStates[1], contributions, edgeDone, start);
    lanes.join(g0, g1);
    backwardPreprocessing(dStates, d0, d1);
  }

  /**
   * Adds into dState the contributions of the edges out of state, last node first (the serial
   * order), on the state's lane after those edges; returns the mark of the complete gradient.
   */
  private Lanes.Mark gather(int state, Tensor dState, Tensor[][] contributions, Lanes.Mark[] edgeDone, Lanes.Mark start) {
    List<Integer> consumers = new ArrayList<>();
    for (int k = nodes - 1; k >= 0 && k + 2 > state; k--) {
      if (state < k + 2) consumers.add(topology.firstEdgeOf(k + 2) + state);
    }
    List<Lanes.Mark> after = new ArrayList<>(List.of(start));
    for (int e : consumers) after.add(edgeDone[e]);
    int lane = state >= 2 ? nodeLane(state - 2) : state;
    return lanes.run(lane, () -> {
      for (int e : consumers) {
        selection.onEdge(e, p -> {
          if (ops[e][p] != null) ElementwiseOps.scaleAdd(contributions[e][p], 1f, dState, true);
        });
      }
    }, after.toArray(new Lanes.Mark[0]));
  }

  /**
   * The gradient of every state of the last forward: the nodes' from dOut (split by channels),
   * the two inputs' zero, to be added into.
   */
  private Tensor[] stateGradients(Tensor dOut) {
    Tensor[] dStates = new Tensor[states.size()];
    List<Tensor> dNodes = new ArrayList<>();
    for (int j = 0; j < nodes; j++) {
      dStates[j + 2] = Tensor.emptyLike(states.get(j + 2));
      dNodes.add(dStates[j + 2]);
    }
    TensorOps.splitChannels(dOut, dNodes, false);
    dStates[0] = Tensor.zeros(dOut.device(), states.get(0).shape());
    dStates[1] = Tensor.zeros(dOut.device(), states.get(1).shape());
    return dStates;
  }

  /** Back through the preprocessings into d0 and d1 (added), then frees dStates. */
  private void backwardPreprocessing(Tensor[] dStates, Tensor d0, Tensor d1) {
    pre0.backward(dStates[0], d0, true);
    pre1.backward(dStates[1], d1, true);
    for (Tensor t : dStates) t.close();
  }

  /**
   * Calls action with the parameter segment of the op selected on each edge (ops without
   * parameters: none), each edge's work on its lane after the main lane's work so far (lanes may
   * be null).
   */
  void forEachSelectedSegment(EdgeSelection sel, java.util.function.Consumer<ParameterStore.Segment> action, Lanes lanes) {
    Lanes.Mark start = lanes == null ? null : lanes.mark();
    for (int e = 0; e < segments.length; e++) {
      ParameterStore.Segment[] edge = segments[e];
      int edgeIndex = e;
      Runnable work = () -> sel.onEdge(edgeIndex, p -> {
        if (edge[p] != null) action.accept(edge[p]);
      });
      if (lanes == null) work.run();
      else lanes.run(edgeLane(e), work, start);
    }
  }

  /** Lanes a cell's pieces use: the two preprocessings, one per edge, one per node's sum. */
  int laneCount() {
    return 2 + ops.length + nodes;
  }

  private int edgeLane(int e) {
    return 2 + e;
  }

  private int nodeLane(int j) {
    return 2 + ops.length + j;
  }

  /**
   * The forward pass as pieces on lanes: the two preprocessings, each edge's op after its input
   * state, each node's sum after its edges (in edge order, as the serial forward adds them: the
   * same numbers). Work on different lanes may overlap inside a captured graph.
   */
  Tensor forward(Tensor in0, Tensor in1, EdgeSelection sel, Mode mode, Lanes lanes) {
    if (lanes == null) return forward(in0, in1, sel, mode);
    selection = sel;
    this.lanes = lanes;
    states.clear();
    Tensor[] st = new Tensor[2 + nodes];
    Lanes.Mark[] ready = new Lanes.Mark[2 + nodes];
    Lanes.Mark start = lanes.mark();
    ready[0] = lanes.run(0, () -> st[0] = pre0.forward(in0, mode), start);
    ready[1] = lanes.run(1, () -> st[1] = pre1.forward(in1, mode), start);
    int n = st[1].dim(0), h = reduction ? st[1].dim(2) / 2 : st[1].dim(2), w = reduction ? st[1].dim(3) / 2 : st[1].dim(3);
    for (int j = 0; j < nodes; j++) {
      Lanes.Mark[] done = new Lanes.Mark[j + 2];
      for (int i = 0; i < j + 2; i++) {
        int e = topology.firstEdgeOf(j + 2) + i, input = i;
        done[i] = lanes.run(edgeLane(e), () -> sel.onEdge(e, p -> {
          Layer op = ops[e][p];
          opOutputs[e][p] = op == null ? null : op.forward(st[input], mode);
        }), ready[i]);
      }
      int node = j;
      ready[j + 2] = lanes.run(nodeLane(j), () -> {
        Tensor sum = Tensor.zeros(st[1].device(), n, channels, h, w);
        for (int i = 0; i < node + 2; i++) {
          int e = topology.firstEdgeOf(node + 2) + i;
          sel.onEdge(e, p -> {
            if (ops[e][p] != null) sel.scaleAdd(e, opOutputs[e][p], sum, true);
          });
        }
        st[node + 2] = sum;
      }, done);
    }
    lanes.join(java.util.Arrays.copyOfRange(ready, 2, ready.length));
    for (Tensor t : st) states.add(t);
    Tensor out = Tensor.empty(st[1].device(), n, outputChannels(), h, w);
    TensorOps.concatChannels(states.subList(2, states.size()), out);
    return out;
  }

  /** The forward pass in the serial structure: edges in order, each node's sum as its edges finish. */
  private Tensor forward(Tensor in0, Tensor in1, EdgeSelection sel, Mode mode) {
    selection = sel;
    lanes = null;
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
    if (lanes != null) {
      if (edgeGradients != null) throw new IllegalStateException("edge gradients need the serial structure (no lanes)");
      backwardOnLanes(dOut, d0, d1);
      return;
    }
    Tensor[] dStates = stateGradients(dOut);
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
    backwardPreprocessing(dStates, d0, d1);
  }
}
