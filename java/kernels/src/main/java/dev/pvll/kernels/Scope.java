package dev.pvll.kernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Frees the temporaries of a step deterministically. While a scope is open on a thread, every
 * tensor created on that thread belongs to the innermost open scope; closing the scope closes
 * them (newest first) except those passed to {@link #keep}, which move to the enclosing scope
 * (or become unowned). Scopes nest and must be closed in reverse order of opening; closing
 * twice is harmless.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *   Tensor h = ElementwiseOps.relu(x);   // freed at the end of the block
 *   result = step.keep(ElementwiseOps.relu(h));
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
  private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

  private final List<Tensor> owned = new ArrayList<>();
  private final Thread thread = Thread.currentThread();
  private boolean closed;

  private Scope() {}

  /**
   * Opens a scope on this thread; it becomes the innermost one.
   *
   * @return the scope, to close in a try-with-resources block
   */
  public static Scope open() {
    Scope s = new Scope();
    OPEN.get().push(s);
    return s;
  }

  private static final ThreadLocal<Integer> UNOWNED_DEPTH = ThreadLocal.withInitial(() -> 0);

  static void register(Tensor t) {
    if (UNOWNED_DEPTH.get() > 0) return;
    Scope s = OPEN.get().peek();
    if (s != null) s.owned.add(t);
  }

  /**
   * Runs body with scopes suspended on this thread: tensors it creates belong to no scope (the
   * caller owns them). For long-lived state such as parameter buffers created mid-step.
   *
   * @param <T> what body returns
   * @param body the code to run
   * @return body's result
   */
  public static <T> T unowned(java.util.function.Supplier<T> body) {
    UNOWNED_DEPTH.set(UNOWNED_DEPTH.get() + 1);
    try {
      return body.get();
    } finally {
      UNOWNED_DEPTH.set(UNOWNED_DEPTH.get() - 1);
    }
  }

  /**
   * Takes t out of this scope so it survives close; it joins the enclosing scope, if any. A
   * tensor this scope does not own is returned unchanged.
   *
   * @param t a tensor
   * @return t
   */
  public Tensor keep(Tensor t) {
    if (owned.remove(t)) {
      Deque<Scope> stack = OPEN.get();
      boolean passedSelf = false;
      for (Scope s : stack) {
        if (passedSelf) {
          s.owned.add(t);
          break;
        }
        passedSelf = s == this;
      }
    }
    return t;
  }

  /**
   * Number of tensors this scope will close.
   *
   * @return the count
   */
  public int ownedCount() {
    return owned.size();
  }

  /**
   * Closes the scope's tensors, newest first, and ends the scope. Harmless when already closed.
   * Every tensor is closed even when one fails; the first failure is then rethrown.
   *
   * @throws IllegalStateException when called on another thread than the one that opened the
   *     scope, or while a scope opened after it is still open
   * @throws KernelException when freeing a tensor fails
   */
  @Override
  public void close() {
    if (closed) return;
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("a Scope must be closed on the thread that opened it (" + thread.getName() + ")");
    }
    Deque<Scope> stack = OPEN.get();
    if (stack.peek() != this) {
      throw new IllegalStateException("scopes must be closed in reverse order of opening");
    }
    closed = true;
    stack.pop();
    RuntimeException first = null;
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (RuntimeException e) {
        if (first == null) first = e;
      }
    }
    owned.clear();
    if (first != null) throw first;
  }
}
