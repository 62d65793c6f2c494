package dev.pvll.testing;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * libtorch (org.bytedeco:pytorch) as the independent oracle of the kernel tests: float arrays
 * in and out of torch tensors. Call {@link #init()} first; it pins libtorch to 2 threads.
 */
public final class Torch {
  private static boolean initialised;

  private Torch() {}

  public static synchronized void init() {
    if (!initialised) {
      torch.set_num_threads(2);
      initialised = true;
    }
  }

  /** A torch float32 tensor holding a copy of data with the given shape. */
  public static Tensor tensor(float[] data, long... shape) {
    init();
    FloatPointer p = new FloatPointer(data);
    Tensor view = torch.from_blob(p, shape);
    Tensor copy = view.clone();
    p.close();
    return copy;
  }

  /** Same, with requires_grad set (a leaf for backward). */
  public static Tensor leaf(float[] data, long... shape) {
    Tensor t = tensor(data, shape);
    t.requires_grad_(true);
    return t;
  }

  /** Runs backward from output y with upstream gradient dy (grads land in the leaves' grad()). */
  public static void backward(Tensor y, Tensor dy) {
    y.backward(dy, new org.bytedeco.pytorch.BoolOptional(), false, new org.bytedeco.pytorch.TensorArrayRefOptional());
  }

  /** The tensor's values (made contiguous, float32) as a Java array. */
  public static float[] array(Tensor t) {
    Tensor c = t.detach().contiguous();
    float[] out = new float[(int) c.numel()];
    new FloatPointer(c.data_ptr_float()).capacity(out.length).get(out);
    return out;
  }
}
