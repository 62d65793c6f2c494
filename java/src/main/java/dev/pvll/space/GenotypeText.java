package dev.pvll.space;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The DARTS text form of a genotype, the repr Python prints for the namedtuple:
 *
 * <pre>
 * Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=range(2, 6),
 *          reduce=[('max_pool_3x3', 0), ...], reduce_concat=range(2, 6))
 * </pre>
 *
 * <p>Reading accepts single or double quotes, any whitespace and line breaks, {@code #} comments,
 * trailing commas, the fields in any order, genes as tuples or lists, concat as {@code range(a,
 * b)}, a list {@code [2, 3, 4, 5]} or a tuple, an optional {@code NAME = } prefix (a line copied from
 * genotypes.py), and no concat at all (then all intermediate nodes). Errors give the character
 * offset, the cell and entry, and the reason.
 */
final class GenotypeText {
  private static final String FIELDS = "normal, normal_concat, reduce, reduce_concat";

  private GenotypeText() {}

  /** The DARTS repr of {@code g}. */
  static String format(Genotype g) {
    return "Genotype(normal=" + genes(g.normal()) + ", normal_concat=" + concat(g.normalConcat())
        + ", reduce=" + genes(g.reduce()) + ", reduce_concat=" + concat(g.reduceConcat()) + ")";
  }

  private static String genes(List<Gene> genes) {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (Gene gene : genes) j.add(gene.toString());
    return j.toString();
  }

  /** {@code range(a, b)} when the concat is a run of consecutive states, else a list. */
  private static String concat(List<Integer> concat) {
    boolean run = true;
    for (int i = 1; i < concat.size(); i++) run &= concat.get(i) == concat.get(i - 1) + 1;
    if (run) return "range(" + concat.get(0) + ", " + (concat.get(concat.size() - 1) + 1) + ")";
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (int s : concat) j.add(Integer.toString(s));
    return j.toString();
  }

  /**
   * Parses the DARTS text form.
   *
   * @param source what to call the text in errors (a file name), or null
   */
  static Genotype parse(String text, String source) {
    return new Reader(text, source).genotype();
  }

  /** A parsed cell: its genes and where each came from in the text. */
  private record Cell(List<Gene> genes, int start, int[] opOffsets, int[] inputOffsets) {}

  private static final class Reader {
    private final String text;
    private final String source;
    private int pos;

    Reader(String text, String source) {
      this.text = text == null ? "" : text;
      this.source = source == null ? "genotype text" : source;
    }

    Genotype genotype() {
      skip();
      int start = pos;
      String head = identifier("'Genotype('");
      if (!head.equals("Genotype")) {
        skip();
        if (peek() != '=') {
          throw error(start, "expected 'Genotype(', found '" + head + "'");
        }
        pos++;
        skip();
        int at = pos;
        head = identifier("'Genotype(' after '='");
        if (!head.equals("Genotype")) throw error(at, "expected 'Genotype(', found '" + head + "'");
      }
      expect('(');
      Cell normal = null;
      Cell reduce = null;
      List<Integer> normalConcat = null;
      List<Integer> reduceConcat = null;
      int normalConcatAt = -1;
      int reduceConcatAt = -1;
      skip();
      while (peek() != ')') {
        int at = pos;
        String field = identifier("a field name (" + FIELDS + ")");
        expect('=');
        skip();
        int valueAt = pos;
        switch (field) {
          case "normal" -> {
            if (normal != null) throw error(at, "field 'normal' given twice");
            normal = cell(CellType.NORMAL);
          }
          case "reduce" -> {
            if (reduce != null) throw error(at, "field 'reduce' given twice");
            reduce = cell(CellType.REDUCE);
          }
          case "normal_concat" -> {
            if (normalConcat != null) throw error(at, "field 'normal_concat' given twice");
            normalConcat = concat();
            normalConcatAt = valueAt;
          }
          case "reduce_concat" -> {
            if (reduceConcat != null) throw error(at, "field 'reduce_concat' given twice");
            reduceConcat = concat();
            reduceConcatAt = valueAt;
          }
          default -> throw error(at, "unknown field '" + field + "'; valid fields: " + FIELDS);
        }
        skip();
        if (peek() == ',') {
          pos++;
          skip();
        } else if (peek() != ')') {
          throw error(pos, "expected ',' or ')' after field '" + field + "', found " + found());
        }
      }
      int close = pos;
      pos++;
      skip();
      if (peek() == ';') {
        pos++;
        skip();
      }
      if (pos < text.length()) throw error(pos, "unexpected text after the genotype: " + found());
      if (normal == null) throw error(close, "missing field 'normal'");
      if (reduce == null) throw error(close, "missing field 'reduce'");

      // The checks Genotype's constructor makes, reported at the offending text.
      int entries = normal.genes().size();
      Genotype.Problem p = Genotype.firstProblem(normal.genes(), List.of(2), reduce.genes(), List.of(2));
      if (p != null && p.entry() < 0) {
        Cell c = p.cell() == CellType.NORMAL ? normal : reduce;
        throw error(c.start(), p.cell(), -1, p.reason());
      }
      checkGenes(CellType.NORMAL, normal);
      checkGenes(CellType.REDUCE, reduce);
      int nodes = entries / 2;
      if (normalConcat == null) normalConcat = Genotype.defaultConcat(nodes);
      if (reduceConcat == null) reduceConcat = Genotype.defaultConcat(nodes);
      checkConcat(CellType.NORMAL, normalConcat, nodes, normalConcatAt);
      checkConcat(CellType.REDUCE, reduceConcat, nodes, reduceConcatAt);
      return new Genotype(normal.genes(), normalConcat, reduce.genes(), reduceConcat);
    }

    private void checkGenes(CellType type, Cell cell) {
      List<Gene> genes = cell.genes();
      for (int i = 0; i < genes.size(); i++) {
        String reason = Genotype.geneProblem(genes.get(i), i);
        if (reason != null) {
          int at = genes.get(i).op() == Primitive.NONE ? cell.opOffsets()[i] : cell.inputOffsets()[i];
          throw error(at, type, i, reason);
        }
      }
    }

    private void checkConcat(CellType type, List<Integer> concat, int nodes, int at) {
      Genotype.Problem p = Genotype.concatProblem(type, concat, nodes);
      if (p != null) throw error(at, type, -1, p.reason());
    }

    /** {@code [gene, gene, ...]} where gene is {@code ('op', input)} or {@code ['op', input]}. */
    private Cell cell(CellType type) {
      int start = pos;
      expect('[');
      List<Gene> genes = new ArrayList<>();
      List<Integer> opAt = new ArrayList<>();
      List<Integer> inputAt = new ArrayList<>();
      skip();
      while (peek() != ']') {
        int entry = genes.size();
        char open = peek();
        if (open != '(' && open != '[') {
          throw error(pos, type, entry, "expected a gene ('op', input), found " + found());
        }
        pos++;
        skip();
        int at = pos;
        String name = string(type, entry);
        Primitive op = Primitive.find(name);
        if (op == null) {
          throw error(at, type, entry,
              "unknown op '" + name + "'; valid ops: " + Primitive.validNames());
        }
        expect(',');
        skip();
        inputAt.add(pos);
        opAt.add(at);
        int input = integer("the input index of entry " + entry);
        skip();
        if (peek() == ',') pos++;
        expect(open == '(' ? ')' : ']');
        genes.add(new Gene(op, input));
        skip();
        if (peek() == ',') {
          pos++;
          skip();
        } else if (peek() != ']') {
          throw error(pos, type, entry, "expected ',' or ']' after a gene, found " + found());
        }
      }
      pos++;
      return new Cell(genes, start, toArray(opAt), toArray(inputAt));
    }

    /** {@code range(a, b)}, {@code range(b)}, {@code [a, b, ...]} or {@code (a, b, ...)}. */
    private List<Integer> concat() {
      List<Integer> out = new ArrayList<>();
      char c = peek();
      if (c == '[' || c == '(') {
        char close = c == '[' ? ']' : ')';
        pos++;
        skip();
        while (peek() != close) {
          out.add(integer("a node index"));
          skip();
          if (peek() == ',') {
            pos++;
            skip();
          } else if (peek() != close) {
            throw error(pos, "expected ',' or '" + close + "' in a concat list, found " + found());
          }
        }
        pos++;
        return out;
      }
      int at = pos;
      String word = identifier("a concat: range(2, 6) or [2, 3, 4, 5]");
      if (!word.equals("range")) {
        throw error(at, "expected a concat: range(2, 6) or [2, 3, 4, 5], found '" + word + "'");
      }
      expect('(');
      skip();
      int a = integer("range start");
      skip();
      int b;
      if (peek() == ',') {
        pos++;
        skip();
        b = integer("range end");
        skip();
      } else {
        b = a;
        a = 0;
      }
      expect(')');
      for (int s = a; s < b; s++) out.add(s);
      return out;
    }

    private String identifier(String expected) {
      int start = pos;
      while (pos < text.length()
          && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
        pos++;
      }
      if (pos == start || Character.isDigit(text.charAt(start))) {
        pos = start;
        throw error(start, "expected " + expected + ", found " + found());
      }
      return text.substring(start, pos);
    }

    private String string(CellType type, int entry) {
      char quote = peek();
      if (quote != '\'' && quote != '"') {
        throw error(pos, type, entry, "expected a quoted op name, found " + found());
      }
      int start = pos;
      int end = text.indexOf(quote, pos + 1);
      int newline = text.indexOf('\n', pos + 1);
      if (end < 0 || (newline >= 0 && newline < end)) {
        throw error(start, type, entry, "unterminated string");
      }
      pos = end + 1;
      return text.substring(start + 1, end);
    }

    private int integer(String what) {
      int start = pos;
      if (peek() == '-' || peek() == '+') pos++;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
      String digits = text.substring(start, pos);
      if (digits.isEmpty() || digits.equals("-") || digits.equals("+")) {
        pos = start;
        throw error(start, "expected an integer (" + what + "), found " + found());
      }
      try {
        return Integer.parseInt(digits);
      } catch (NumberFormatException e) {
        throw error(start, "integer out of range: " + digits);
      }
    }

    private void expect(char c) {
      skip();
      if (peek() != c) throw error(pos, "expected '" + c + "', found " + found());
      pos++;
    }

    /** Skips whitespace and # comments. */
    private void skip() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (Character.isWhitespace(c)) {
          pos++;
        } else if (c == '#') {
          while (pos < text.length() && text.charAt(pos) != '\n') pos++;
        } else {
          break;
        }
      }
    }

    private char peek() {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private String found() {
      if (pos >= text.length()) return "the end of the text";
      int end = Math.min(text.length(), pos + 12);
      String s = text.substring(pos, end).replace("\n", "\\n");
      return "'" + s + (end < text.length() ? "...'" : "'");
    }

    private GenotypeFormatException error(int at, String reason) {
      return error(at, null, -1, reason);
    }

    private GenotypeFormatException error(int at, CellType cell, int entry, String reason) {
      return new GenotypeFormatException(source, at, cell, entry, reason);
    }

    private static int[] toArray(List<Integer> list) {
      int[] a = new int[list.size()];
      for (int i = 0; i < a.length; i++) a[i] = list.get(i);
      return a;
    }
  }
}
