package dev.pvll.search;

import com.google.gson.JsonObject;

/**
 * A method whose search step proposes one architecture, has it labelled (one more supernet epoch
 * and a validation pass, as the label mode says; the label goes into the memory) and learns from
 * the label: PVLL, random search.
 */
abstract class SamplingStrategy implements SearchStrategy {
  /** Labels an architecture: trains it as the label mode says, validates it, records the label; returns the label and the step's log line. */
  interface Labeller {
    Labelled label(String phase, int step, Architecture a);
  }

  /** A label and the log line of the step that measured it. */
  record Labelled(double loss, JsonObject line) {}

  private final int steps;
  private final Labeller labeller;

  SamplingStrategy(int steps, Labeller labeller) {
    this.steps = steps;
    this.labeller = labeller;
  }

  /** The architecture search step {@code step} evaluates. */
  abstract Architecture propose(int step);

  /** Learns from a's label; adds what it did to the step's log line. */
  abstract void learn(Architecture a, double label, JsonObject line);

  @Override
  public final int steps() {
    return steps;
  }

  @Override
  public final JsonObject step(int step) {
    Architecture a = propose(step);
    Labelled l = labeller.label("search", step, a);
    learn(a, l.loss(), l.line());
    return l.line();
  }
}
