package dev.pvll.testing;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * libtorch (org.bytedeco:pytorch) as the independent oracle of the kernel tests: float arrays in
 * and out of torch tensors.
 *
 * <p>The oracle computes in float64: {@link #tensor} and {@link #leaf} hold the float32 inputs
 * exactly as double tensors, so every reference a test compares with is libtorch's double
 * computation (as PyTorch's own gradcheck does), rounded to float only by {@link #array}. A
 * float32 reference would depend on which CPU kernels libtorch dispatches to (oneDNN's float32
 * convolution input gradients have been seen wrong and changing from run to run on an AMD Zen 5),
 * and a failure must always mean that our kernel is wrong.
 *
 * <p>Call {@link #init()} (or any method here) before touching libtorch: it loads libtorch through
 * {@link TorchLibraries} (safe on an empty JavaCPP cache) and pins it to 2 threads.
 */
public final class Torch {
  private static boolean initialised;

  private Torch() {}

  /** Loads libtorch (once) and sets its intra-op threads to 2. */
  public static synchronized void init() {
    if (!initialised) {
      setThreads(2);
      initialised = true;
    }
  }

  /** Loads libtorch (once) and sets its intra-op thread count. */
  public static void setThreads(int threads) {
    TorchLibraries.load();
    torch.set_num_threads(threads);
  }

  /** A torch float64 tensor holding the float values of data, with the given shape. */
  public static Tensor tensor(float[] data, long... shape) {
    return tensor(data, torch.ScalarType.Double, shape);
  }

  /**
   * A torch tensor of the given type holding a copy of data; float32 only where a test measures
   * libtorch's own float32 answers (tests compare with {@link #tensor}'s float64).
   */
  public static Tensor tensor(float[] data, torch.ScalarType type, long... shape) {
    init();
    try (FloatPointer p = new FloatPointer(data)) {
      return torch.from_blob(p, shape).clone().to(type); // the clone owns its memory; p is freed here
    }
  }

  /** Same as {@link #tensor(float[], long...)}, with requires_grad set (a leaf for backward). */
  public static Tensor leaf(float[] data, long... shape) {
    Tensor t = tensor(data, shape);
    t.requires_grad_(true);
    return t;
  }

  /** Runs backward from output y with upstream gradient dy (grads land in the leaves' grad()). */
  public static void backward(Tensor y, Tensor dy) {
    y.backward(dy, new org.bytedeco.pytorch.BoolOptional(), false, new org.bytedeco.pytorch.TensorArrayRefOptional());
  }

  /** The tensor's values (made contiguous, rounded to float32) as a Java array. */
  public static float[] array(Tensor t) {
    Tensor c = t.detach().to(torch.ScalarType.Float).contiguous();
    float[] out = new float[(int) c.numel()];
    new FloatPointer(c.data_ptr_float()).capacity(out.length).get(out);
    return out;
  }
}
