package dev.pvll.supernet;

import static org.bytedeco.pytorch.global.torch.avg_pool2d;
import static org.bytedeco.pytorch.global.torch.batch_norm;
import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.conv2d;
import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.max_pool2d;
import static org.bytedeco.pytorch.global.torch.relu;

import dev.pvll.nn.Parameter;
import dev.pvll.space.NetworkConfig;
import dev.pvll.space.Primitive;
import dev.pvll.testing.Torch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The search network written independently in libtorch's functional API (training mode: batch
 * statistics), with its parameters copied from ours by name, so that logits and every gradient
 * can be compared. Follows quark0/darts model_search.py.
 */
public final class TorchSearchNetwork {
  /** The parameters by name, leaves with requires_grad. */
  public final Map<String, Tensor> params = new HashMap<>();
  /**
   * The edge weights of the last forward as leaves with requires_grad: [0] the normal cells', [1]
   * the reduction cells' (each shared by every cell of its type, as in the supernet).
   */
  public final Tensor[] edgeWeights = new Tensor[2];
  private final NetworkConfig config;
  private final ScalarType type;

  /** A float64 mirror of ours (the oracle of the tests) with copies of its current parameter values. */
  public TorchSearchNetwork(SearchNetwork ours) {
    this(ours, ScalarType.Double);
  }

  /** A mirror of ours computing in the given type (Float for a speed peer, Double for an oracle). */
  public TorchSearchNetwork(SearchNetwork ours, ScalarType type) {
    this.config = ours.config();
    this.type = type;
    for (Parameter p : ours.parameters().parameters()) {
      long[] shape = java.util.Arrays.stream(p.shape()).asLongStream().toArray();
      params.put(p.name(), leaf(p.value().toArray(), shape));
    }
  }

  private Tensor leaf(float[] data, long... shape) {
    Tensor t = Torch.tensor(data, type, shape);
    t.requires_grad_(true);
    return t;
  }

  /** Logits of x through the sampled architecture, training-mode batch norm. */
  public Tensor forward(Tensor x, SampledArchitecture arch) {
    for (int t = 0; t < 2; t++) {
      float[] w = arch.forCell(t == 1).weights();
      edgeWeights[t] = leaf(w, w.length);
    }
    Tensor s = bn(conv(x, "stem.conv", 1, 1, 1, 1), "stem.bn");
    Tensor s0 = s, s1 = s;
    boolean reductionPrev = false;
    for (int i = 0; i < config.cells(); i++) {
      boolean reduction = config.isReduction(i);
      Tensor out = cell("cells." + i, s0, s1, arch.forCell(reduction), reduction, reductionPrev);
      s0 = s1;
      s1 = out;
      reductionPrev = reduction;
    }
    Tensor pooled = org.bytedeco.pytorch.global.torch.mean(s1, new long[] {2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    return linear(pooled, params.get("classifier.weight"), new TensorOptional(params.get("classifier.bias")));
  }

  private Tensor cell(String name, Tensor in0, Tensor in1, CellChoice choice, boolean reduction, boolean reductionPrev) {
    Tensor s0 = reductionPrev ? factorizedReduce(in0, name + ".preprocess0") : bn(conv(relu(in0), name + ".preprocess0.conv", 1, 0, 1, 1), name + ".preprocess0.bn");
    Tensor s1 = bn(conv(relu(in1), name + ".preprocess1.conv", 1, 0, 1, 1), name + ".preprocess1.bn");
    List<Tensor> states = new ArrayList<>(List.of(s0, s1));
    for (int j = 0; j < config.nodes(); j++) {
      Tensor node = null;
      for (int i = 0; i < j + 2; i++) {
        int e = config.topology().firstEdgeOf(j + 2) + i;
        Primitive p = Primitive.values()[choice.ops()[e]];
        int stride = reduction && i < 2 ? 2 : 1;
        Tensor y = op(p, states.get(i), name + ".edge" + e + "." + p.name().toLowerCase(), stride);
        if (y == null) continue;
        y = y.mul(edgeWeights[reduction ? 1 : 0].select(0, e));
        node = node == null ? y : node.add(y);
      }
      if (node == null) {
        Tensor ref = states.get(1);
        int div = reduction ? 2 : 1;
        node = ref.new_zeros(ref.size(0), ref.size(1), ref.size(2) / div, ref.size(3) / div);
      }
      states.add(node);
    }
    TensorVector v = new TensorVector();
    for (int k = 2; k < states.size(); k++) v.push_back(states.get(k));
    return cat(v, 1);
  }

  private Tensor op(Primitive p, Tensor x, String name, int stride) {
    long c = x.size(1);
    return switch (p) {
      case NONE -> null;
      case MAX_POOL_3X3 -> bn(max_pool2d(x, new long[] {3, 3}, new long[] {stride, stride}, new long[] {1, 1}, new long[] {1, 1}, false), name + ".bn");
      case AVG_POOL_3X3 -> bn(avg_pool2d(x, new long[] {3, 3}, new long[] {stride, stride}, new long[] {1, 1}, false, false,
          new org.bytedeco.pytorch.LongOptional()), name + ".bn");
      case SKIP_CONNECT -> stride == 1 ? x : factorizedReduce(x, name);
      case SEP_CONV_3X3, SEP_CONV_5X5 -> {
        int k = p == Primitive.SEP_CONV_3X3 ? 3 : 5;
        Tensor h = bn(conv(depthwise(relu(x), name + ".dw1", stride, k / 2, 1, c), name + ".pw1", 1, 0, 1, 1), name + ".bn1");
        yield bn(conv(depthwise(relu(h), name + ".dw2", 1, k / 2, 1, c), name + ".pw2", 1, 0, 1, 1), name + ".bn2");
      }
      case DIL_CONV_3X3, DIL_CONV_5X5 -> {
        int k = p == Primitive.DIL_CONV_3X3 ? 3 : 5;
        yield bn(conv(depthwise(relu(x), name + ".dw", stride, k - 1, 2, c), name + ".pw", 1, 0, 1, 1), name + ".bn");
      }
    };
  }

  private Tensor factorizedReduce(Tensor x, String name) {
    Tensor r = relu(x);
    Tensor a = conv(r, name + ".conv_1", 2, 0, 1, 1);
    Tensor shifted = r.narrow(2, 1, r.size(2) - 1).narrow(3, 1, r.size(3) - 1);
    Tensor b = conv(shifted, name + ".conv_2", 2, 0, 1, 1);
    TensorVector v = new TensorVector(a, b);
    return bn(cat(v, 1), name + ".bn");
  }

  private Tensor conv(Tensor x, String name, int stride, int pad, int dil, long groups) {
    return conv2d(x, params.get(name + ".weight"), new TensorOptional(), new long[] {stride, stride}, new long[] {pad, pad},
        new long[] {dil, dil}, groups);
  }

  private Tensor depthwise(Tensor x, String name, int stride, int pad, int dil, long channels) {
    return conv(x, name, stride, pad, dil, channels);
  }

  private Tensor bn(Tensor x, String name) {
    Tensor w = params.get(name + ".weight"), b = params.get(name + ".bias");
    return batch_norm(x, w == null ? new TensorOptional() : new TensorOptional(w), b == null ? new TensorOptional() : new TensorOptional(b),
        new TensorOptional(), new TensorOptional(), true, 0.1, 1e-5, false);
  }

}
