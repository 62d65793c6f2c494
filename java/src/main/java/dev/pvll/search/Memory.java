package dev.pvll.search;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory M of PVLL-NAS: a FIFO of the last {@code capacity} (H, L) pairs - a sampled
 * architecture's soft weights H and its measured validation loss L. Adding to a full memory
 * drops the oldest pair. Index 0 is the oldest pair held.
 */
public final class Memory {
  /** METHOD.md: the last 100 pairs. */
  public static final int DEFAULT_CAPACITY = 100;

  /** One pair; {@code h} is a private copy, treat it as read-only. */
  public record Entry(double[] h, double label) {}

  /** A serialisable copy of the memory (for checkpoints; Gson writes and reads it as is). */
  public record State(int capacity, List<Entry> entries) {}

  private final int capacity;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  /** An empty memory of {@link #DEFAULT_CAPACITY}. */
  public Memory() {
    this(DEFAULT_CAPACITY);
  }

  /** An empty memory holding at most {@code capacity} pairs. */
  public Memory(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("memory capacity must be >= 1, got " + capacity);
    this.capacity = capacity;
  }

  /**
   * Appends (a copy of) h with label L, dropping the oldest pair when full. Every h must have
   * the same length; L must be finite.
   */
  public void add(double[] h, double label) {
    if (h == null || h.length == 0) throw new IllegalArgumentException("memory: empty architecture encoding");
    if (!entries.isEmpty() && entries.peekFirst().h().length != h.length) {
      throw new IllegalArgumentException("memory: encoding of " + h.length + " values, the memory holds "
          + entries.peekFirst().h().length);
    }
    if (!Double.isFinite(label)) throw new IllegalArgumentException("memory: label must be finite, got " + label);
    for (double x : h) {
      if (!Double.isFinite(x)) throw new IllegalArgumentException("memory: architecture encoding holds " + x);
    }
    if (entries.size() == capacity) entries.removeFirst();
    entries.addLast(new Entry(h.clone(), label));
  }

  /** Pairs held. */
  public int size() {
    return entries.size();
  }

  public int capacity() {
    return capacity;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The pairs, oldest first (an unmodifiable snapshot). */
  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** The labels, oldest first. */
  public double[] labels() {
    return entries.stream().mapToDouble(Entry::label).toArray();
  }

  /** A copy for checkpoints. */
  public State state() {
    return new State(capacity, new ArrayList<>(entries));
  }

  /** A memory rebuilt from {@link #state()} (checked as by {@link #add}). */
  public static Memory fromState(State s) {
    if (s == null || s.entries() == null) throw new IllegalArgumentException("memory state: missing entries");
    Memory m = new Memory(s.capacity());
    if (s.entries().size() > s.capacity()) {
      throw new IllegalArgumentException("memory state: " + s.entries().size() + " entries exceed capacity " + s.capacity());
    }
    for (Entry e : s.entries()) m.add(e.h(), e.label());
    return m;
  }
}
