package dev.pvll.search;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pvll.space.Genotype;
import dev.pvll.space.Primitive;

/**
 * The log line of each unit of a search (one JSON object per line of log.jsonl; field names and
 * order as in every log so far). The unit's wall time, "seconds", is set when the unit ends.
 */
final class LogLines {
  private final SupernetEpochs supernet;
  private final Architect architect;
  private final ProxyLandscape landscape;

  LogLines(SupernetEpochs supernet, Architect architect, ProxyLandscape landscape) {
    this.supernet = supernet;
    this.architect = architect;
    this.landscape = landscape;
  }

  /** A warm-up or search unit's line; a null architecture means one per training batch (frozen labels' warm-up). */
  JsonObject unit(String phase, int step, Architecture a, SupernetEpochs.Stats tr, SupernetEpochs.Stats val) {
    JsonObject o = new JsonObject();
    o.addProperty("phase", phase);
    o.addProperty("step", step);
    if (a != null) o.addProperty("counter", a.counter());
    epochAndRate(o);
    if (a != null) {
      JsonObject arch = new JsonObject();
      arch.add("normal", opNames(a, 0));
      arch.add("reduce", opNames(a, 1));
      JsonArray weights = new JsonArray();
      for (double w : a.edgeWeights()) weights.add((float) w);
      arch.add("edge_weights", weights);
      o.add("architecture", arch);
    } else {
      o.addProperty("architecture", "one per batch");
    }
    stats(o, tr, val);
    o.addProperty("kendall_tau", landscape.heldOutTau());
    o.addProperty("entropy", architect.meanSamplingEntropy());
    o.addProperty("seconds", 0.0);
    return o;
  }

  /** The final genotype's line. */
  JsonObject finalUnit(Genotype g, SupernetEpochs.Stats tr, SupernetEpochs.Stats val) {
    JsonObject o = new JsonObject();
    o.addProperty("phase", "final");
    o.addProperty("step", 0);
    epochAndRate(o);
    o.addProperty("genotype", g.toDartsString());
    stats(o, tr, val);
    o.addProperty("kendall_tau", landscape.heldOutTau());
    return o;
  }

  /** A GDAS epoch's line: its temperature, the training batches' and the architecture batches' stats. */
  JsonObject gdas(int step, double tau, SupernetEpochs.Stats tr, SupernetEpochs.Stats val, Genotype g) {
    JsonObject o = new JsonObject();
    o.addProperty("phase", "gdas");
    o.addProperty("step", step);
    epochAndRate(o);
    o.addProperty("tau", tau);
    stats(o, tr, val);
    o.addProperty("entropy", architect.meanSamplingEntropy());
    o.addProperty("genotype", g.toDartsString());
    return o;
  }

  /** The last supernet epoch run and its learning rate. */
  private void epochAndRate(JsonObject o) {
    o.addProperty("epoch", supernet.epoch() - 1);
    o.addProperty("lr", supernet.lastLearningRate());
  }

  private static void stats(JsonObject o, SupernetEpochs.Stats tr, SupernetEpochs.Stats val) {
    if (tr != null) {
      o.addProperty("train_loss", tr.loss());
      o.addProperty("train_acc", tr.accuracy());
    }
    if (val != null) {
      o.addProperty("val_loss", val.loss());
      o.addProperty("val_acc", val.accuracy());
    }
  }

  private static JsonArray opNames(Architecture a, int cell) {
    JsonArray arr = new JsonArray();
    for (int op : a.cellOps(cell)) arr.add(Primitive.values()[op].dartsName());
    return arr;
  }
}
