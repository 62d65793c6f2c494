package dev.pvll.supernet;

import dev.pvll.kernels.Branching;
import dev.pvll.kernels.CudaGraph;
import dev.pvll.kernels.Device;
import dev.pvll.kernels.KernelException;
import dev.pvll.kernels.Lanes;
import dev.pvll.kernels.LossOps;
import dev.pvll.kernels.LossResult;
import dev.pvll.kernels.OptimOps;
import dev.pvll.kernels.Scope;
import dev.pvll.kernels.StepOps;
import dev.pvll.kernels.Tensor;
import dev.pvll.nn.Mode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The search network's one step engine: the training step (zero the gradients, forward,
 * cross-entropy, backward, clip, SGD on the shared parameters and the chosen ops only), the
 * validation batch, and GDAS's edge gradients. Everything that changes between steps is held on
 * the device: the sampled architecture ({@link DeviceArchitecture}), the learning rate and update
 * gate ({@link StepOps} control), and the loss and correct count of every step (a log the host
 * reads once per epoch, {@link #finishTraining}). A step whose loss is not finite updates nothing
 * (its forward still updates BN running statistics).
 *
 * <p>{@link StepLaunch} chooses how the step runs, with the same numbers every way (bit for bit):
 * plain launches that wait for each step, the same launches queued back to back (resident), or
 * on CUDA 12.8+ the step captured as one graph at its first use, each edge's op a switch node,
 * replayed for every batch and every architecture (validation likewise, one graph per evaluation
 * mode). A batch of another size than the captured one runs as plain launches.
 */
public final class SupernetStep implements AutoCloseable {
  /** Mean loss, correct count, images and how many steps were recorded, over a run of steps. */
  public record Totals(double meanLoss, long correct, long images, int steps, int nonFiniteSteps) {}

  private final SearchNetwork network;
  private final SgdConfig sgd;
  private final Device device;
  private final int batchSize;
  private final StepLaunch.Kind kind;
  private final boolean onLanes;
  private final CudaGraph.SwitchSetting switches;
  private final DeviceArchitecture architecture;
  private final List<Tensor> owned = new ArrayList<>();
  private final Tensor images, labels, lossOut, correctOut, normOut;
  private final Tensor trainControl, evalControl;
  private final Tensor trainLog, evalLog;
  private final List<Integer> trainSizes = new ArrayList<>(), evalSizes = new ArrayList<>();
  private CudaGraph trainGraph;
  private final Map<Mode, CudaGraph> evalGraphs = new EnumMap<>(Mode.class);

  /**
   * @param batchSize the batch size of the captured graphs (other sizes run as plain launches)
   * @param launch how steps are launched
   * @param logCapacity steps an epoch may record before {@link #finishTraining} (likewise validation)
   */
  public SupernetStep(SearchNetwork network, SgdConfig sgd, int batchSize, StepLaunch launch, int logCapacity) {
    if (batchSize < 1 || logCapacity < 1) {
      throw new IllegalArgumentException("batch size and log capacity must be positive, got " + batchSize + ", " + logCapacity);
    }
    this.network = network;
    this.sgd = sgd;
    this.device = network.parameters().values().device();
    this.batchSize = batchSize;
    this.kind = launch.on(device);
    this.onLanes = launch.lanes();
    this.switches = launch.switches();
    var c = network.config();
    this.architecture = Scope.unowned(() -> new DeviceArchitecture(device, c.edges()));
    images = keep(new int[] {batchSize, c.inputChannels(), c.imageSize(), c.imageSize()});
    labels = keep(new int[] {batchSize});
    lossOut = keep(new int[] {1});
    correctOut = keep(new int[] {1});
    normOut = keep(new int[] {2});
    trainControl = keep(new int[] {StepOps.CONTROL_SIZE});
    evalControl = keep(new int[] {StepOps.CONTROL_SIZE});
    trainLog = keep(new int[] {logCapacity, 2});
    evalLog = keep(new int[] {logCapacity, 2});
  }

  private Tensor keep(int[] shape) {
    Tensor t = Scope.unowned(() -> Tensor.zeros(device, shape));
    owned.add(t);
    return t;
  }

  /** Whether steps replay captured CUDA graphs. */
  public boolean usesGraphs() {
    return kind == StepLaunch.Kind.GRAPH;
  }

  public SearchNetwork network() {
    return network;
  }

  /** Makes arch the architecture of the steps enqueued from now on. */
  public void setArchitecture(SampledArchitecture arch) {
    architecture.set(arch);
  }

  /** Starts an epoch at learning rate lr: the training log is emptied. */
  public void beginTraining(float lr) {
    trainControl.copyFrom(new float[] {0f, lr, 0f, 0f});
    trainSizes.clear();
  }

  /** Starts a validation pass: the validation log is emptied. */
  public void beginValidation() {
    evalControl.copyFrom(new float[] {0f, 0f, 0f, 0f});
    evalSizes.clear();
  }

  /** Enqueues one training step on images [N, C, H, W] and labels [N] (class indices as floats). */
  public void trainStep(Tensor x, Tensor y) {
    checkRoom(trainSizes.size(), trainLog, "training");
    if (x.dim(0) == batchSize && usesGraphs()) {
      stage(x, y);
      if (trainGraph == null) {
        trainGraph = CudaGraph.capture(device, onLanes ? network.laneCount() : 0, switches,
            (b, lanes) -> runTrainStep(images, labels, b, onLanes ? lanes : null));
      }
      trainGraph.launch();
    } else if (x.dim(0) == batchSize) {
      stage(x, y);
      runTrainStep(images, labels, architecture.hostBranching(), plainLanes());
    } else {
      runTrainStep(onDevice(x), onDevice(y), architecture.hostBranching(), plainLanes());
    }
    trainSizes.add(x.dim(0));
    if (kind == StepLaunch.Kind.PLAIN) lastTrainingStep();
  }

  /** Enqueues one validation batch in mode (EVAL or EVAL_BATCH_STATS). */
  public void evaluate(Tensor x, Tensor y, Mode mode) {
    if (mode == Mode.TRAIN) throw new IllegalArgumentException("evaluate needs an evaluation mode, got " + mode);
    checkRoom(evalSizes.size(), evalLog, "validation");
    if (x.dim(0) == batchSize && usesGraphs()) {
      stage(x, y);
      CudaGraph g = evalGraphs.get(mode);
      if (g == null) {
        g = CudaGraph.capture(device, onLanes ? network.laneCount() : 0, switches,
            (b, lanes) -> runEvaluation(images, labels, mode, b, onLanes ? lanes : null));
        evalGraphs.put(mode, g);
      }
      g.launch();
    } else if (x.dim(0) == batchSize) {
      stage(x, y);
      runEvaluation(images, labels, mode, architecture.hostBranching(), plainLanes());
    } else {
      runEvaluation(onDevice(x), onDevice(y), mode, architecture.hostBranching(), plainLanes());
    }
    evalSizes.add(x.dim(0));
    if (kind == StepLaunch.Kind.PLAIN) lastValidationBatch();
  }

  /** Waits for the enqueued training steps and sums their log; throws on a bad label. */
  public Totals finishTraining() {
    return totals(trainLog, trainControl, trainSizes, "training");
  }

  /** Waits for the enqueued validation batches and sums their log; throws on a bad label. */
  public Totals finishValidation() {
    return totals(evalLog, evalControl, evalSizes, "validation");
  }

  /** The per-step (loss, correct) pairs of the training log so far (waits for the device). */
  public float[] trainingLog() {
    float[] all = trainLog.toArray();
    return java.util.Arrays.copyOf(all, 2 * trainSizes.size());
  }

  /** Loss, correct count and size of the last enqueued training step (waits for the device). */
  public StepResult lastTrainingStep() {
    return entry(trainLog, trainSizes);
  }

  /** Loss, correct count and size of the last enqueued validation batch (waits for the device). */
  public StepResult lastValidationBatch() {
    return entry(evalLog, evalSizes);
  }

  /**
   * GDAS's architecture half: the loss of one batch in training mode through the current
   * architecture and dL/d(edge weight) per edge and cell type, added into edgeGradients
   * ([2][edges], summed over the cells of each type), with no parameter update. Plain launches
   * in the serial structure; waits for the device.
   */
  public StepResult edgeGradients(Tensor x, Tensor y, double[][] edgeGradients) {
    try (Scope step = Scope.open()) {
      network.parameters().zeroGrads();
      Tensor logits = network.forward(x, architecture, architecture.hostBranching(), null, Mode.TRAIN);
      Tensor dLogits = Tensor.emptyLike(logits);
      LossResult loss = LossOps.softmaxCrossEntropy(logits, y, dLogits);
      if (Double.isFinite(loss.loss())) network.backward(dLogits, edgeGradients);
      return new StepResult(loss.loss(), loss.correct(), x.dim(0));
    }
  }

  /** Top-level nodes of the captured training graph (0 before its first step or without graphs). */
  public long trainGraphNodes() {
    return trainGraph == null ? 0 : trainGraph.nodes();
  }

  /** Device memory the captured graphs own. */
  public long graphBytes() {
    long total = trainGraph == null ? 0 : trainGraph.bytes();
    for (CudaGraph g : evalGraphs.values()) total += g.bytes();
    return total;
  }

  private Lanes plainLanes() {
    return onLanes ? Lanes.SERIAL : null;
  }

  private void runTrainStep(Tensor x, Tensor y, Branching branching, Lanes lanes) {
    try (Scope step = Scope.open()) {
      network.parameters().zeroGrads();
      Tensor logits = network.forward(x, architecture, branching, lanes, Mode.TRAIN);
      Tensor dLogits = Tensor.emptyLike(logits);
      LossOps.softmaxCrossEntropy(logits, y, lossOut, correctOut, dLogits);
      StepOps.recordStep(lossOut, correctOut, null, trainControl, trainLog);
      network.backward(dLogits, null);
      OptimOps.clipGradNormAsync(sgd.gradClip(), normOut, network.parameters().grads());
      network.sgdStep(architecture, branching, lanes, trainControl, sgd);
    }
  }

  private void runEvaluation(Tensor x, Tensor y, Mode mode, Branching branching, Lanes lanes) {
    try (Scope step = Scope.open()) {
      Tensor logits = network.forward(x, architecture, branching, lanes, mode);
      LossOps.softmaxCrossEntropy(logits, y, lossOut, correctOut, null);
      StepOps.recordStep(lossOut, correctOut, null, evalControl, evalLog);
    }
  }

  /** The log entry of the last step enqueued (waits for it); throws on a bad label, as the totals do. */
  private StepResult entry(Tensor log, List<Integer> sizes) {
    int i = sizes.size() - 1;
    if (i < 0) throw new IllegalStateException("no step since the last begin");
    float[] pair;
    try (Tensor one = log.view(2L * i, 2)) {
      pair = one.toArray();
    }
    checkLabels(pair[1], i, log == trainLog ? "training" : "validation");
    return new StepResult(pair[0], (int) pair[1], sizes.get(i));
  }

  private void stage(Tensor x, Tensor y) {
    images.copyFrom(x);
    labels.copyFrom(y);
  }

  private Tensor onDevice(Tensor t) {
    return t.device().equals(device) ? t : t.to(device);
  }

  private void checkRoom(int steps, Tensor log, String what) {
    if (steps >= log.dim(0)) {
      throw new IllegalStateException(what + " log is full (" + log.dim(0) + " steps): call finish"
          + (what.equals("training") ? "Training" : "Validation") + " and begin again");
    }
  }

  private Totals totals(Tensor log, Tensor control, List<Integer> sizes, String what) {
    float[] values = log.toArray();
    double lossSum = 0;
    long correct = 0, images = 0;
    int nonFinite = 0;
    for (int i = 0; i < sizes.size(); i++) {
      float loss = values[2 * i], c = values[2 * i + 1];
      checkLabels(c, i, what);
      if (!Float.isFinite(loss)) nonFinite++;
      lossSum += (double) loss * sizes.get(i);
      correct += (long) c;
      images += sizes.get(i);
    }
    float counted = control.toArray()[StepOps.COUNT];
    if (counted != sizes.size()) {
      throw new IllegalStateException(what + " log counted " + counted + " steps, " + sizes.size() + " were enqueued");
    }
    return new Totals(lossSum / Math.max(1, images), correct, images, sizes.size(), nonFinite);
  }

  /** A negative correct count is the loss kernel's report of a bad label at row -c - 1. */
  private void checkLabels(float c, int step, String what) {
    if (c < 0) {
      throw new KernelException("softmax_cross_entropy", KernelException.INVALID_ARGUMENT, what + " step " + step + ": label at row "
          + (long) (-c - 1) + " is not a class index in [0, " + network.config().classes() + ")");
    }
  }

  @Override
  public void close() {
    RuntimeException first = null;
    List<AutoCloseable> all = new ArrayList<>();
    if (trainGraph != null) all.add(trainGraph);
    all.addAll(evalGraphs.values());
    all.add(architecture);
    all.addAll(owned);
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
    }
    trainGraph = null;
    evalGraphs.clear();
    if (first != null) throw first;
  }
}
