package dev.pvll.space;

import java.util.Objects;

/**
 * One chosen edge of a genotype: the op applied to state {@code input} (0 and 1 are the cell
 * inputs h(c-2) and h(c-1); 2 .. are the earlier intermediate nodes). DARTS writes it as the
 * pair {@code ('sep_conv_3x3', 0)}.
 */
public record Gene(Primitive op, int input) {
  /** Requires an op; the input is checked against its node by {@link Genotype}. */
  public Gene {
    Objects.requireNonNull(op, "op");
  }

  /** The gene with this DARTS op name. */
  public static Gene of(String op, int input) {
    return new Gene(Primitive.byName(op), input);
  }

  /** The DARTS form: {@code ('sep_conv_3x3', 0)}. */
  @Override
  public String toString() {
    return "('" + op.dartsName() + "', " + input + ")";
  }
}
