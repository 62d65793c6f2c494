package dev.pvll.space;

/**
 * A genotype that cannot be read or is malformed. The message says where (the source, the
 * character offset in the text where known, the cell and entry) and why.
 */
public final class GenotypeFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final int offset;
  private final CellType cell;
  private final int entry;
  private final String reason;

  /** A problem located by text offset and/or cell and entry, printed as "offset 57, normal entry 3". */
  GenotypeFormatException(String source, int offset, CellType cell, int entry, String reason) {
    this(source, position(offset, cell, entry), offset, cell, entry, reason);
  }

  /** A problem located by a free-form position such as the JSON path {@code normal[3].op}. */
  GenotypeFormatException(
      String source, String position, int offset, CellType cell, int entry, String reason) {
    super(join(source, position, reason));
    this.offset = offset;
    this.cell = cell;
    this.entry = entry;
    this.reason = reason;
  }

  /** Character offset (0-based) in the text, or -1 where the input was not text or not known. */
  public int offset() {
    return offset;
  }

  /** The cell the problem is in, or null when it concerns the whole genotype. */
  public CellType cell() {
    return cell;
  }

  /** Index of the bad entry in the cell's gene list (or concat list), or -1. */
  public int entry() {
    return entry;
  }

  /** The reason alone, without the position. */
  public String reason() {
    return reason;
  }

  private static String position(int offset, CellType cell, int entry) {
    StringBuilder b = new StringBuilder();
    if (offset >= 0) b.append("offset ").append(offset);
    if (cell != null) {
      if (b.length() > 0) b.append(", ");
      b.append(cell.field());
      if (entry >= 0) b.append(" entry ").append(entry);
    }
    return b.toString();
  }

  private static String join(String source, String position, String reason) {
    StringBuilder b = new StringBuilder();
    if (source != null && !source.isEmpty()) b.append(source).append(": ");
    if (position != null && !position.isEmpty()) b.append(position).append(": ");
    return b.append(reason).toString();
  }
}
