package dev.pvll.supernet;

/** Loss (mean over the batch), correct predictions and batch size of one training or evaluation batch. */
public record StepResult(double loss, int correct, int count) {
  public double accuracy() {
    return count == 0 ? 0 : (double) correct / count;
  }
}
