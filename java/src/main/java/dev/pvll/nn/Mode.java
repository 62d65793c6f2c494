package dev.pvll.nn;

/** Training (batch statistics, drop-path, saves what backward needs) or evaluation. */
public enum Mode {
  TRAIN,
  EVAL
}
