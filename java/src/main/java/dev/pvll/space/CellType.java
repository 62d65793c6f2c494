package dev.pvll.space;

/** The two kinds of cell: normal cells keep the spatial size, reduction cells halve it. */
public enum CellType {
  /** Stride 1 everywhere; the genotype field {@code normal}. */
  NORMAL("normal", "normal"),
  /** Stride 2 on edges from the cell inputs; the genotype field {@code reduce}. */
  REDUCE("reduce", "reduction");

  private final String field;
  private final String fileStem;

  CellType(String field, String fileStem) {
    this.field = field;
    this.fileStem = fileStem;
  }

  /** The genotype field holding this cell's genes: {@code normal} or {@code reduce}. */
  public String field() {
    return field;
  }

  /** The field holding this cell's concat: {@code normal_concat} or {@code reduce_concat}. */
  public String concatField() {
    return field + "_concat";
  }

  /** The file name stem of this cell's picture, as DARTS names them: normal, reduction. */
  public String fileStem() {
    return fileStem;
  }

  @Override
  public String toString() {
    return field;
  }
}
