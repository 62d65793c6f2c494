package dev.pvll.space;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The JSON form of a genotype:
 *
 * <pre>
 * {
 *   "normal": [{"op": "sep_conv_3x3", "input": 0}, ...],
 *   "normal_concat": [2, 3, 4, 5],
 *   "reduce": [{"op": "max_pool_3x3", "input": 0}, ...],
 *   "reduce_concat": [2, 3, 4, 5]
 * }
 * </pre>
 *
 * <p>Reading also accepts genes as pairs {@code ["sep_conv_3x3", 0]}, the array Python's {@code
 * json.dumps} makes of the namedtuple ({@code [normal, normal_concat, reduce, reduce_concat]}), an
 * object holding the genotype under {@code "genotype"}, and missing concats (then all intermediate
 * nodes). Other keys are ignored. Errors name the JSON path ({@code normal[3].input}) and the reason.
 */
final class GenotypeJson {
  private GenotypeJson() {}

  /** Pretty JSON with one gene per line (op names need no escaping). */
  static String format(Genotype g) {
    return "{\n"
        + "  \"normal\": " + genes(g.normal()) + ",\n"
        + "  \"normal_concat\": " + g.normalConcat() + ",\n"
        + "  \"reduce\": " + genes(g.reduce()) + ",\n"
        + "  \"reduce_concat\": " + g.reduceConcat() + "\n"
        + "}";
  }

  private static String genes(List<Gene> genes) {
    StringJoiner j = new StringJoiner(",\n", "[\n", "\n  ]");
    for (Gene gene : genes) {
      j.add("    {\"op\": \"" + gene.op().dartsName() + "\", \"input\": " + gene.input() + "}");
    }
    return j.toString();
  }

  /**
   * Parses the JSON form.
   *
   * @param source what to call the JSON in errors (a file name), or null
   */
  static Genotype parse(String json, String source) {
    String where = source == null ? "genotype JSON" : source;
    JsonElement root;
    try {
      root = JsonParser.parseString(json == null ? "" : json);
    } catch (JsonParseException e) {
      String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      throw new GenotypeFormatException(where, "", -1, null, -1, "malformed JSON: " + why);
    }
    JsonElement normal;
    JsonElement normalConcat;
    JsonElement reduce;
    JsonElement reduceConcat;
    if (root.isJsonObject() && root.getAsJsonObject().has("genotype")
        && !root.getAsJsonObject().has("normal")) {
      root = root.getAsJsonObject().get("genotype");
    }
    if (root.isJsonObject()) {
      JsonObject o = root.getAsJsonObject();
      normal = o.get("normal");
      normalConcat = o.get("normal_concat");
      reduce = o.get("reduce");
      reduceConcat = o.get("reduce_concat");
    } else if (root.isJsonArray() && root.getAsJsonArray().size() == 4) {
      JsonArray a = root.getAsJsonArray();
      normal = a.get(0);
      normalConcat = a.get(1);
      reduce = a.get(2);
      reduceConcat = a.get(3);
    } else {
      throw new GenotypeFormatException(
          where, "", -1, null, -1,
          "expected an object with normal, normal_concat, reduce, reduce_concat, found "
              + shortText(root));
    }
    List<Gene> normalGenes = genes(where, CellType.NORMAL, normal);
    List<Gene> reduceGenes = genes(where, CellType.REDUCE, reduce);
    int nodes = normalGenes.size() / 2;
    List<Integer> nc = concat(where, CellType.NORMAL, normalConcat, nodes);
    List<Integer> rc = concat(where, CellType.REDUCE, reduceConcat, nodes);
    Genotype.Problem p = Genotype.firstProblem(normalGenes, nc, reduceGenes, rc);
    if (p != null) {
      String path = p.entry() >= 0 ? p.cell().field() + "[" + p.entry() + "]" : "";
      throw new GenotypeFormatException(where, path, -1, p.cell(), p.entry(), p.reason());
    }
    return new Genotype(normalGenes, nc, reduceGenes, rc);
  }

  private static List<Gene> genes(String where, CellType cell, JsonElement e) {
    String field = cell.field();
    if (e == null || e.isJsonNull()) throw bad(where, cell, -1, "missing field '" + field + "'");
    if (!e.isJsonArray()) {
      throw bad(where, cell, -1, field + " must be an array of genes, found " + shortText(e));
    }
    List<Gene> out = new ArrayList<>();
    JsonArray a = e.getAsJsonArray();
    for (int i = 0; i < a.size(); i++) {
      String path = field + "[" + i + "]";
      JsonElement g = a.get(i);
      JsonElement op;
      JsonElement input;
      if (g.isJsonObject()) {
        op = g.getAsJsonObject().get("op");
        input = g.getAsJsonObject().get("input");
      } else if (g.isJsonArray() && g.getAsJsonArray().size() == 2) {
        op = g.getAsJsonArray().get(0);
        input = g.getAsJsonArray().get(1);
      } else {
        throw bad(where, cell, i,
            path + ": expected {\"op\": name, \"input\": index} or [name, index], found "
                + shortText(g));
      }
      if (op == null || !isString(op)) {
        throw bad(where, cell, i, path + ".op must be an op name, found " + shortText(op));
      }
      Primitive p = Primitive.find(op.getAsString());
      if (p == null) {
        throw bad(where, cell, i,
            path + ".op: unknown op '" + op.getAsString() + "'; valid ops: "
                + Primitive.validNames());
      }
      out.add(new Gene(p, integer(where, cell, i, path + ".input", input)));
    }
    return out;
  }

  private static List<Integer> concat(String where, CellType cell, JsonElement e, int nodes) {
    if (e == null || e.isJsonNull()) return Genotype.defaultConcat(nodes);
    if (!e.isJsonArray()) {
      throw bad(where, cell, -1,
          cell.concatField() + " must be an array of node indices, found " + shortText(e));
    }
    List<Integer> out = new ArrayList<>();
    JsonArray a = e.getAsJsonArray();
    for (int i = 0; i < a.size(); i++) {
      out.add(integer(where, cell, -1, cell.concatField() + "[" + i + "]", a.get(i)));
    }
    return out;
  }

  private static int integer(String where, CellType cell, int entry, String path, JsonElement e) {
    if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      double d = e.getAsDouble();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) return (int) d;
    }
    throw bad(where, cell, entry, path + " must be an integer, found " + shortText(e));
  }

  private static boolean isString(JsonElement e) {
    return e.isJsonPrimitive() && ((JsonPrimitive) e).isString();
  }

  private static GenotypeFormatException bad(String where, CellType cell, int entry, String why) {
    return new GenotypeFormatException(where, "", -1, cell, entry, why);
  }

  private static String shortText(JsonElement e) {
    if (e == null) return "nothing";
    String s = e.toString();
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }
}
