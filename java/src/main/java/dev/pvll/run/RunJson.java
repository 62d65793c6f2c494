package dev.pvll.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import dev.pvll.kernels.CudaGraph;
import dev.pvll.search.Architect;
import dev.pvll.search.FinalRule;
import dev.pvll.search.LabelMode;
import dev.pvll.search.Method;
import dev.pvll.search.PredictorKind;
import dev.pvll.supernet.StepLaunch;
import java.io.IOException;
import java.util.Locale;

/**
 * The one JSON setup of run folders: doubles with full round-trip precision, NaN and infinities
 * written as such, no HTML escaping, records as objects; the enums of a configuration as the
 * lower-case, hyphenated names the command line takes ({@code batch-stats}, {@code around-a}).
 */
public final class RunJson {
  private RunJson() {}

  /** One line per document: log lines, checkpoint states. */
  public static final Gson COMPACT = builder().create();
  /** Indented: config.json, summary.json, result.json. */
  public static final Gson PRETTY = builder().setPrettyPrinting().create();

  private static GsonBuilder builder() {
    GsonBuilder b = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues();
    for (Class<? extends Enum<?>> e : java.util.List.<Class<? extends Enum<?>>>of(Method.class, LabelMode.class, Architect.Sampler.class,
        Architect.Draw.class, FinalRule.class, PredictorKind.class, StepLaunch.Kind.class, CudaGraph.SwitchSetting.class)) {
      b.registerTypeAdapter(e, new EnumText<>(e).nullSafe());
    }
    return b;
  }

  /** An enum constant as text: {@code BATCH_STATS} is {@code batch-stats}. */
  public static String text(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant of type whose {@link #text} is s (any case, '_' or '-'); the error lists the accepted ones. */
  public static <E extends Enum<E>> E parse(Class<E> type, String s) {
    for (E e : type.getEnumConstants()) {
      if (text(e).equalsIgnoreCase(s.trim().replace('_', '-'))) return e;
    }
    StringBuilder accepted = new StringBuilder();
    for (E e : type.getEnumConstants()) accepted.append(accepted.length() == 0 ? "" : ", ").append(text(e));
    throw new IllegalArgumentException("'" + s + "' is not one of " + accepted);
  }

  /** Parses a JSON document that must be an object. */
  public static JsonObject object(String json, String what) {
    try {
      JsonElement e = com.google.gson.JsonParser.parseString(json);
      if (e.isJsonObject()) return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(what + ": not JSON (" + e.getMessage() + ")", e);
    }
    throw new IllegalArgumentException(what + ": not a JSON object");
  }

  private static final class EnumText<E extends Enum<E>> extends TypeAdapter<E> {
    private final Class<E> type;

    @SuppressWarnings("unchecked")
    EnumText(Class<? extends Enum<?>> type) {
      this.type = (Class<E>) type;
    }

    @Override
    public void write(JsonWriter out, E value) throws IOException {
      out.value(text(value));
    }

    @Override
    public E read(JsonReader in) throws IOException {
      String s = in.nextString();
      try {
        return parse(type, s);
      } catch (IllegalArgumentException e) {
        throw new JsonParseException(type.getSimpleName() + " " + e.getMessage(), e);
      }
    }
  }
}
