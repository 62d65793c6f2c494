package dev.pvll.supernet;

/** One op and one weight per edge for the normal and the reduction cells. */
public record SampledArchitecture(CellChoice normal, CellChoice reduce) {
  public SampledArchitecture {
    if (normal.edges() != reduce.edges()) {
      throw new IllegalArgumentException("normal and reduce cells differ in edge count");
    }
  }

  /** The choice for a cell of the given type. */
  public CellChoice forCell(boolean reduction) {
    return reduction ? reduce : normal;
  }
}
